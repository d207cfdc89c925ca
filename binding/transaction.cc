#include "transaction.h"

#include <utility>

#include "bytes.h"
#include "environment.h"
#include "errors.h"
#include "iterator.h"
#include "read_view.h"
#include "sophia.h"

namespace sophia_level {

namespace {

const napi_type_tag kTransactionTag = {0x51d2c3b4a5968778ULL, 0x0f1e2d3c4b5a6978ULL};

Napi::Value ToJs(Napi::Env env, const std::string& value, bool as_buffer) {
  if (as_buffer) return Napi::Buffer<char>::Copy(env, value.empty() ? "" : value.data(), value.size());
  return Napi::String::New(env, value.data(), value.size());
}

}  // namespace

Napi::Function Transaction::DefineClass(Napi::Env env) {
  return ObjectWrap<Transaction>::DefineClass(env, "Transaction",
                                              {
                                                  InstanceMethod<&Transaction::Get>("get"),
                                                  InstanceMethod<&Transaction::GetMany>("getMany"),
                                                  InstanceMethod<&Transaction::Has>("has"),
                                                  InstanceMethod<&Transaction::HasMany>("hasMany"),
                                                  InstanceMethod<&Transaction::Put>("put"),
                                                  InstanceMethod<&Transaction::Del>("del"),
                                                  InstanceMethod<&Transaction::Commit>("commit"),
                                                  InstanceMethod<&Transaction::Rollback>("rollback"),
                                              });
}

Transaction* Transaction::FromValue(Napi::Env env, Napi::Value value, Environment* environment) {
  bool tagged = false;
  if (value.IsObject()) napi_check_object_type_tag(env, value, &kTransactionTag, &tagged);
  Transaction* transaction = tagged ? Transaction::Unwrap(value.As<Napi::Object>()) : nullptr;
  if (transaction == nullptr || (transaction->environment_ != nullptr && transaction->environment_ != environment)) {
    ThrowTypeError(env, "The transaction option must be a transaction of this database");
    return nullptr;
  }
  if (!transaction->CheckOpen(env)) return nullptr;
  return transaction;
}

// new Transaction(environment): only created by Environment#transaction().
Transaction::Transaction(const Napi::CallbackInfo& info) : ObjectWrap<Transaction>(info) {
  Napi::Env env = info.Env();
  napi_type_tag_object(env, info.This(), &kTransactionTag);
  Environment* environment = Environment::FromValue(env, info[0]);
  if (environment == nullptr) {
    ThrowTypeError(env, "Transaction must be created by a database");
    return;
  }
  if (!environment->CheckOpen(env)) return;
  // The transaction and the view are taken together, on this thread, so they
  // see the same committed data.
  transaction_ = sp_begin(environment->sophia_env());
  if (transaction_ == nullptr) {
    environment->ThrowSophiaError(env, "cannot begin a transaction");
    return;
  }
  view_ = ReadView::Open(environment);
  if (view_ == nullptr) {
    sp_destroy(transaction_);
    transaction_ = nullptr;
    environment->ThrowSophiaError(env, "cannot open a read view");
    return;
  }
  environment_ = environment;
  environment_object_ = Napi::Persistent(info[0].As<Napi::Object>());
  environment->TrackTransaction(this);
}

Transaction::~Transaction() { Detach(); }

void Transaction::Detach() {
  if (environment_ == nullptr) return;
  // sp_destroy on an open transaction rolls it back.
  sp_destroy(transaction_);
  transaction_ = nullptr;
  End();
}

void Transaction::End() {
  while (!iterators_.empty()) (*iterators_.begin())->Detach();
  view_->Release();
  view_ = nullptr;
  environment_->ForgetTransaction(this);
  environment_ = nullptr;
  environment_object_.Reset();
  // Given back now rather than when garbage collection finalises the object.
  Writes().swap(writes_);
  read_set_ = ReadSet();
}

bool Transaction::CheckOpen(Napi::Env env) {
  if (environment_ != nullptr) return true;
  ThrowCodeError(env, kTransactionNotOpen, "Transaction is not open: it has been committed or rolled back");
  return false;
}

bool Transaction::Read(Napi::Env env, void* db, napi_value key_value, bool* found, std::string* value) {
  ByteView key;
  if (!key.Read(env, key_value, "Key")) return false;
  auto own = writes_.find({db, std::string(key.data(), key.size())});
  if (own != writes_.end()) {
    *found = own->second.has_value();
    if (*found) *value = *own->second;
    return true;
  }
  void* result = environment_->ReadKey(env, db, key, view_);
  if (env.IsExceptionPending()) return false;
  *found = result != nullptr;
  if (*found) {
    int size = 0;
    const char* data = static_cast<const char*>(sp_getstring(result, "value", &size));
    value->assign(data == nullptr ? "" : data, data == nullptr ? 0 : static_cast<size_t>(size));
    sp_destroy(result);
  }
  read_set_.AddPoint(db, key.data(), key.size(), ReadSet::HashOf(value->data(), value->size(), *found));
  return true;
}

// get(db, key, valueAsBuffer)
Napi::Value Transaction::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* db = environment_->DatabaseAt(env, info[0]);
  bool found = false;
  std::string value;
  if (db == nullptr || !Read(env, db, info[1], &found, &value) || !found) return env.Undefined();
  return ToJs(env, value, info[2].As<Napi::Boolean>().Value());
}

template <typename Answer>
bool Transaction::ReadKeys(const Napi::CallbackInfo& info, Answer answer) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return false;
  void* db = environment_->DatabaseAt(env, info[0]);
  if (db == nullptr) return false;
  if (!info[1].IsArray()) {
    ThrowTypeError(env, "keys must be an array");
    return false;
  }
  Napi::Array keys = info[1].As<Napi::Array>();
  uint32_t length = keys.Length();
  for (uint32_t i = 0; i < length; i++) {
    bool found = false;
    std::string value;
    if (!Read(env, db, keys.Get(i), &found, &value)) return false;
    answer(i, found, value);
  }
  return true;
}

// getMany(db, keys, valueAsBuffer)
Napi::Value Transaction::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool as_buffer = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  Napi::Array values = Napi::Array::New(env);
  bool read = ReadKeys(info, [&](uint32_t i, bool found, const std::string& value) {
    values.Set(i, found ? ToJs(env, value, as_buffer) : env.Undefined());
  });
  return read ? values.As<Napi::Value>() : env.Undefined();
}

// has(db, key)
Napi::Value Transaction::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* db = environment_->DatabaseAt(env, info[0]);
  bool found = false;
  std::string value;
  if (db == nullptr || !Read(env, db, info[1], &found, &value)) return env.Undefined();
  return Napi::Boolean::New(env, found);
}

// hasMany(db, keys)
Napi::Value Transaction::HasMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array found_all = Napi::Array::New(env);
  bool read = ReadKeys(info, [&](uint32_t i, bool found, const std::string&) { found_all.Set(i, Napi::Boolean::New(env, found)); });
  return read ? found_all.As<Napi::Value>() : env.Undefined();
}

bool Transaction::Write(Napi::Env env, void* db, napi_value key_value, napi_value value_value) {
  bool is_put = value_value != nullptr;
  ByteView key;
  ByteView value;
  if (!key.Read(env, key_value, "Key")) return false;
  if (is_put && !value.Read(env, value_value, "Value")) return false;
  if (!environment_->Write(env, transaction_, db, key, is_put ? &value : nullptr)) return false;
  std::pair<void*, std::string> stored_key(db, std::string(key.data(), key.size()));
  if (is_put) {
    writes_[stored_key] = std::string(value.data(), value.size());
  } else {
    writes_[stored_key] = std::nullopt;
  }
  return true;
}

// put(db, key, value)
Napi::Value Transaction::Put(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* db = environment_->DatabaseAt(env, info[0]);
  if (db != nullptr) Write(env, db, info[1], info[2]);
  return env.Undefined();
}

// del(db, key)
Napi::Value Transaction::Del(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* db = environment_->DatabaseAt(env, info[0]);
  if (db != nullptr) Write(env, db, info[1], nullptr);
  return env.Undefined();
}

// commit(): throws SOPHIA_TRANSACTION_CONFLICT, and rolls back, if another
// transaction got in the way; the transaction is over either way.
Napi::Value Transaction::Commit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env) || !environment_->CheckOpen(env)) return env.Undefined();
  // Iterators finish what they have read before it is checked.
  while (!iterators_.empty()) (*iterators_.begin())->Detach();
  if (writes_.empty()) {
    // A transaction that wrote nothing read a consistent snapshot: nothing
    // to check, nothing to apply.
    Detach();
    return env.Undefined();
  }
  if (!read_set_.StillValid(env, environment_)) {
    Detach();
    ThrowCodeError(env, kTransactionConflict,
                   "Transaction read data that another transaction has changed since; it was rolled back");
    return env.Undefined();
  }
  void* transaction = transaction_;
  transaction_ = nullptr;
  switch (sp_commit(transaction)) {
    case 0:
      End();
      return env.Undefined();
    case 1:
      // Sophia has rolled back and freed it.
      End();
      ThrowCodeError(env, kTransactionConflict,
                     "Transaction wrote a key that another transaction has written since; it was rolled back");
      return env.Undefined();
    case 2:
      // Another open transaction wrote one of the same keys first. Waiting
      // for it could deadlock (each waiting for the other), so this one loses.
      sp_destroy(transaction);
      End();
      ThrowCodeError(env, kTransactionConflict,
                     "Transaction wrote a key that another open transaction wrote first; it was rolled back");
      return env.Undefined();
    default: {
      // After a log write error Sophia has freed the transaction.
      Environment* environment = environment_;
      End();
      environment->ThrowSophiaError(env, "cannot commit");
      return env.Undefined();
    }
  }
}

Napi::Value Transaction::Rollback(const Napi::CallbackInfo& info) {
  Detach();
  return info.Env().Undefined();
}

}  // namespace sophia_level
