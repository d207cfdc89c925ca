#pragma once

#include <napi.h>

#include <string>

namespace sophia_level {

// Error codes of our own, for what Level has no code for.
constexpr const char* kKeyTooLarge = "SOPHIA_KEY_TOO_LARGE";
constexpr const char* kValueTooLarge = "SOPHIA_VALUE_TOO_LARGE";
constexpr const char* kTransactionConflict = "SOPHIA_TRANSACTION_CONFLICT";
constexpr const char* kTransactionLocked = "SOPHIA_TRANSACTION_LOCKED";
constexpr const char* kTransactionNotOpen = "SOPHIA_TRANSACTION_NOT_OPEN";
constexpr const char* kDatabaseMissing = "SOPHIA_DATABASE_MISSING";
constexpr const char* kDatabaseExists = "SOPHIA_DATABASE_EXISTS";
constexpr const char* kOptionMismatch = "SOPHIA_OPTION_MISMATCH";
constexpr const char* kSophiaError = "SOPHIA_ERROR";

// The module-error class of the JS side, so that native errors are the same
// ModuleError instances that abstract-level throws. Set once per environment.
void SetErrorClass(Napi::Env env, Napi::Function error_class);

Napi::Error CodeError(Napi::Env env, const char* code, const std::string& message);
void ThrowCodeError(Napi::Env env, const char* code, const std::string& message);
void ThrowTypeError(Napi::Env env, const std::string& message);

// Sophia's last error message for the environment ("" if none).
std::string LastSophiaError(void* sophia_env);

// Picks a LEVEL_* code for a Sophia error message.
const char* CodeForSophiaMessage(const std::string& message);

// Sophia enters "malfunction" after an I/O failure of its own (a log or node
// file write); from then on it refuses writes and answers reads with NULL.
bool IsMalfunctioning(void* sophia_env);

}  // namespace sophia_level
