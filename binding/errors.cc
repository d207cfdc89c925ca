#include "errors.h"

#include <cstdlib>
#include <cstring>

#include "addon_data.h"
#include "sophia.h"

namespace sophia_level {

void SetErrorClass(Napi::Env env, Napi::Function error_class) {
  AddonData::Of(env)->error_class = Napi::Persistent(error_class);
}

Napi::Error CodeError(Napi::Env env, const char* code, const std::string& message) {
  AddonData* data = AddonData::Of(env);
  if (!data->error_class.IsEmpty()) {
    Napi::Object options = Napi::Object::New(env);
    options.Set("code", code);
    Napi::Value error = data->error_class.New({Napi::String::New(env, message), options});
    // Empty when JS cannot run (the environment is shutting down), or with an
    // exception pending when constructing it failed (a stack overflow): then
    // nothing more may be done but let that exception propagate.
    if (env.IsExceptionPending()) return Napi::Error();
    if (!error.IsEmpty()) return Napi::Error(env, error);
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", code);
  return error;
}

void ThrowCodeError(Napi::Env env, const char* code, const std::string& message) {
  if (env.IsExceptionPending()) return;
  Napi::Error error = CodeError(env, code, message);
  if (!error.IsEmpty() && !env.IsExceptionPending()) error.ThrowAsJavaScriptException();
}

void ThrowTypeError(Napi::Env env, const std::string& message) {
  if (env.IsExceptionPending()) return;
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

std::string LastSophiaError(void* sophia_env) {
  if (sophia_env == nullptr) return "";
  // sp_getstring on the environment returns a malloc'd, NUL-terminated copy.
  char* text = static_cast<char*>(sp_getstring(sophia_env, "sophia.error", nullptr));
  if (text == nullptr) return "";
  std::string message(text);
  free(text);
  return message;
}

const char* CodeForSophiaMessage(const std::string& message) {
  // Sophia words its messages "…corrupted log file…", "…bad record crc…" and
  // "…transaction is incomplete…" for damage, and "<what> error: <strerror>"
  // for failed system calls (cut at 255 bytes, so the marker may be gone:
  // Environment::ThrowSophiaError also asks whether Sophia is in malfunction).
  static const char* const corruption_markers[] = {"corrupt", "bad record", "transaction is incomplete"};
  for (const char* marker : corruption_markers) {
    if (message.find(marker) != std::string::npos) return "LEVEL_CORRUPTION";
  }
  static const char* const io_markers[] = {" error: ", "No space", "Input/output", "Permission denied"};
  for (const char* marker : io_markers) {
    if (message.find(marker) != std::string::npos) return "LEVEL_IO_ERROR";
  }
  return kSophiaError;
}

bool IsMalfunctioning(void* sophia_env) {
  // sp_getstring on the environment returns a malloc'd copy.
  char* status = static_cast<char*>(sp_getstring(sophia_env, "sophia.status", nullptr));
  if (status == nullptr) return false;
  bool malfunction = strcmp(status, "malfunction") == 0;
  free(status);
  return malfunction;
}

}  // namespace sophia_level
