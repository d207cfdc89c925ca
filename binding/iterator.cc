#include "iterator.h"

#include <cstring>

#include "bytes.h"
#include "database.h"
#include "errors.h"
#include "read_view.h"
#include "sophia.h"

namespace sophia_level {

namespace {

void AppendField(std::vector<char>* out, const char* data, int size) {
  uint32_t length = static_cast<uint32_t>(size);
  const char header[4] = {static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
                          static_cast<char>((length >> 16) & 0xff), static_cast<char>((length >> 24) & 0xff)};
  out->insert(out->end(), header, header + 4);
  out->insert(out->end(), data, data + size);
}

}  // namespace

Napi::Function Iterator::DefineClass(Napi::Env env) {
  return ObjectWrap<Iterator>::DefineClass(env, "Iterator",
                                           {
                                               InstanceMethod<&Iterator::NextV>("nextv"),
                                               InstanceMethod<&Iterator::Seek>("seek"),
                                               InstanceMethod<&Iterator::DeleteNext>("deleteNext"),
                                               InstanceMethod<&Iterator::Close>("close"),
                                           });
}

Iterator::Iterator(const Napi::CallbackInfo& info) : ObjectWrap<Iterator>(info) {
  Napi::Env env = info.Env();
  Database* database = Database::FromValue(env, info[0]);
  if (database == nullptr) {
    ThrowTypeError(env, "Iterator must be created by a database");
    return;
  }
  if (!database->CheckOpen(env)) return;
  flags_ = info[1].As<Napi::Number>().Uint32Value();
  ByteView bound;
  if (flags_ & kHasLower) {
    if (!bound.Read(env, info[2], "A range bound")) return;
    lower_.assign(bound.data(), bound.size());
  }
  if (flags_ & kHasUpper) {
    if (!bound.Read(env, info[3], "A range bound")) return;
    upper_.assign(bound.data(), bound.size());
  }
  ReadView* snapshot_view;
  if (!database->ReadSnapshotArgument(env, info[4], &snapshot_view)) return;
  if (snapshot_view == nullptr) {
    view_ = ReadView::Open(database);
    if (view_ == nullptr) {
      database->ThrowSophiaError(env, "cannot open a cursor");
      return;
    }
  } else {
    view_ = snapshot_view;
    view_->Retain();
  }
  database_ = database;
  database_object_ = Napi::Persistent(info[0].As<Napi::Object>());
  database->TrackIterator(this);
  Position(env, nullptr, false);
}

Iterator::~Iterator() { Detach(); }

void Iterator::Detach() {
  if (database_ == nullptr) return;
  if (position_ != nullptr) sp_destroy(position_);
  position_ = nullptr;
  view_->Release();
  view_ = nullptr;
  database_->ForgetIterator(this);
  database_ = nullptr;
  database_object_.Reset();
}

bool Iterator::CheckUsable(Napi::Env env) {
  if (database_ != nullptr) return true;
  ThrowCodeError(env, "LEVEL_ITERATOR_NOT_OPEN", "Iterator is not open");
  return false;
}

bool Iterator::Position(Napi::Env env, const std::string* key, bool exclusive) {
  bool reverse = flags_ & kReverse;
  if (key == nullptr) {
    if (!reverse && (flags_ & kHasLower)) {
      key = &lower_;
      exclusive = flags_ & kLowerExclusive;
    } else if (reverse && (flags_ & kHasUpper)) {
      key = &upper_;
      exclusive = flags_ & kUpperExclusive;
    }
  }
  size_t size = key == nullptr ? 0 : key->size();
  const char* order;
  if (size > kMaxKeySize) {
    // No stored key is longer than kMaxKeySize, so for such keys "at or past
    // the bound" is exactly "past its first kMaxKeySize bytes" going forward,
    // and "at or before those bytes" going backward.
    size = kMaxKeySize;
    order = reverse ? "<=" : ">";
  } else if (reverse) {
    order = exclusive ? "<" : "<=";
  } else {
    order = exclusive ? ">" : ">=";
  }
  if (position_ != nullptr) sp_destroy(position_);
  position_ = sp_document(database_->sophia_db());
  if (position_ == nullptr) {
    database_->ThrowSophiaError(env, "cannot create a document");
    return false;
  }
  int rc = sp_setstring(position_, "order", order, static_cast<int>(strlen(order)));
  if (rc == 0 && key != nullptr) {
    rc = sp_setstring(position_, "key", size == 0 ? "" : key->data(), static_cast<int>(size));
  }
  if (rc != 0) {
    sp_destroy(position_);
    position_ = nullptr;
    database_->ThrowSophiaError(env, "cannot position the cursor");
    return false;
  }
  ended_ = false;
  return true;
}

bool Iterator::InRange(const char* key, size_t size, bool check_lower, bool check_upper) const {
  if (check_lower && (flags_ & kHasLower)) {
    int order = CompareBytes(key, size, lower_.data(), lower_.size());
    if (order < 0 || (order == 0 && (flags_ & kLowerExclusive))) return false;
  }
  if (check_upper && (flags_ & kHasUpper)) {
    int order = CompareBytes(key, size, upper_.data(), upper_.size());
    if (order > 0 || (order == 0 && (flags_ & kUpperExclusive))) return false;
  }
  return true;
}

void* Iterator::Step(Napi::Env env) {
  if (ended_ || position_ == nullptr) return nullptr;
  void* result = sp_get(view_->cursor(), position_);
  position_ = nullptr;
  if (result == nullptr) {
    ended_ = true;
    database_->FailedSinceLastCheck(env, "cannot read from the cursor");
    return nullptr;
  }
  int size = 0;
  const char* key = static_cast<const char*>(sp_getstring(result, "key", &size));
  bool reverse = flags_ & kReverse;
  if (!InRange(key, static_cast<size_t>(size), reverse, !reverse)) {
    sp_destroy(result);
    ended_ = true;
    return nullptr;
  }
  position_ = result;
  return result;
}

Napi::Value Iterator::NextV(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  uint32_t count = info[0].As<Napi::Number>().Uint32Value();
  // A double, as JS passes Infinity for "no bound".
  double budget = info[1].As<Napi::Number>().DoubleValue();
  out_.clear();
  uint32_t produced = 0;
  while (produced < count) {
    void* entry = Step(env);
    if (entry == nullptr) break;
    int size = 0;
    if (flags_ & kKeys) {
      const char* key = static_cast<const char*>(sp_getstring(entry, "key", &size));
      AppendField(&out_, key, size);
    }
    if (flags_ & kValues) {
      const char* value = static_cast<const char*>(sp_getstring(entry, "value", &size));
      AppendField(&out_, value == nullptr ? "" : value, value == nullptr ? 0 : size);
    }
    produced++;
    if (static_cast<double>(out_.size()) >= budget) break;
  }
  if (env.IsExceptionPending()) return env.Undefined();
  if (produced == 0) return env.Undefined();
  return Napi::Buffer<char>::Copy(env, out_.data(), out_.size());
}

Napi::Value Iterator::Seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  ByteView target;
  if (!target.Read(env, info[0], "The seek target")) return env.Undefined();
  if (!InRange(target.data(), target.size(), true, true)) {
    if (position_ != nullptr) sp_destroy(position_);
    position_ = nullptr;
    ended_ = true;
    return env.Undefined();
  }
  // Sophia's document keeps a pointer to the key until the next read.
  seek_target_.assign(target.data(), target.size());
  Position(env, &seek_target_, false);
  return env.Undefined();
}

Napi::Value Iterator::DeleteNext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env) || !database_->CheckOpen(env)) return env.Undefined();
  uint32_t count = info[0].As<Napi::Number>().Uint32Value();
  void* transaction = sp_begin(database_->sophia_env());
  if (transaction == nullptr) {
    database_->ThrowSophiaError(env, "cannot begin a transaction");
    return env.Undefined();
  }
  uint32_t deleted = 0;
  while (deleted < count) {
    void* entry = Step(env);
    if (entry == nullptr) break;
    int size = 0;
    const char* key = static_cast<const char*>(sp_getstring(entry, "key", &size));
    void* document = sp_document(database_->sophia_db());
    if (document != nullptr && sp_setstring(document, "key", size == 0 ? "" : key, size) != 0) {
      sp_destroy(document);
      document = nullptr;
    }
    // sp_delete consumes the document whatever it answers.
    if (document == nullptr || sp_delete(transaction, document) != 0) {
      database_->ThrowSophiaError(env, "cannot delete a key");
      break;
    }
    deleted++;
  }
  if (env.IsExceptionPending()) {
    sp_destroy(transaction);
    return env.Undefined();
  }
  if (!database_->Commit(env, transaction)) return env.Undefined();
  return Napi::Number::New(env, deleted);
}

Napi::Value Iterator::Close(const Napi::CallbackInfo& info) {
  Detach();
  return info.Env().Undefined();
}

}  // namespace sophia_level
