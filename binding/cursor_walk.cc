#include "cursor_walk.h"

#include <cstring>

#include "environment.h"
#include "read_view.h"
#include "sophia.h"

namespace sophia_level {

bool CursorWalk::Start(Napi::Env env) {
  bool reverse = range_->reverse();
  bool exclusive = false;
  has_key_ = false;
  if (!reverse && (range_->flags & KeyRange::kHasLower)) {
    key_ = range_->lower;
    has_key_ = true;
    exclusive = range_->flags & KeyRange::kLowerExclusive;
  } else if (reverse && (range_->flags & KeyRange::kHasUpper)) {
    key_ = range_->upper;
    has_key_ = true;
    exclusive = range_->flags & KeyRange::kUpperExclusive;
  }
  return Position(env, exclusive);
}

bool CursorWalk::Seek(Napi::Env env, const char* target, size_t size) {
  if (!range_->Contains(target, size)) {
    Release();
    ended_ = true;
    return true;
  }
  key_.assign(target, size);
  has_key_ = true;
  return Position(env, false);
}

bool CursorWalk::Position(Napi::Env env, bool exclusive) {
  bool reverse = range_->reverse();
  size_t size = has_key_ ? key_.size() : 0;
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
  Release();
  position_ = sp_document(db_);
  if (position_ == nullptr) {
    environment_->ThrowSophiaError(env, "cannot create a document");
    return false;
  }
  int rc = sp_setstring(position_, "order", order, static_cast<int>(strlen(order)));
  if (rc == 0 && has_key_) rc = sp_setstring(position_, "key", size == 0 ? "" : key_.data(), static_cast<int>(size));
  if (rc != 0) {
    Release();
    environment_->ThrowSophiaError(env, "cannot position the cursor");
    return false;
  }
  ended_ = false;
  return true;
}

void* CursorWalk::Step(Napi::Env env) {
  if (ended_ || position_ == nullptr) return nullptr;
  void* result = sp_get(view_->cursor(), position_);
  position_ = nullptr;
  if (result == nullptr) {
    ended_ = true;
    environment_->FailedSinceLastCheck(env, "cannot read from the cursor");
    return nullptr;
  }
  int size = 0;
  const char* key = static_cast<const char*>(sp_getstring(result, "key", &size));
  if (range_->PastEnd(key, static_cast<size_t>(size))) {
    sp_destroy(result);
    ended_ = true;
    return nullptr;
  }
  position_ = result;
  return result;
}

void CursorWalk::Release() {
  if (position_ != nullptr) sp_destroy(position_);
  position_ = nullptr;
}

}  // namespace sophia_level
