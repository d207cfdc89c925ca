#include "cursor_walk.h"

#include <cstring>

#include "environment.h"
#include "read_view.h"
#include "schema.h"
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

CursorWalk::CursorWalk(Environment* environment, void* db, ReadView* view, const KeyRange* range)
    : environment_(environment), db_(db), schema_(&environment->SchemaOf(db)), view_(view), range_(range) {}

bool CursorWalk::Position(Napi::Env env, bool exclusive) {
  Release();
  position_ = sp_document(db_);
  if (position_ == nullptr) {
    environment_->ThrowSophiaError(env, "cannot create a document");
    return false;
  }
  const char* order;
  int rc = 0;
  if (schema_->single()) {
    size_t size = 0;
    PositionSingle(exclusive, &order, &size);
    if (has_key_) rc = sp_setstring(position_, "key", size == 0 ? "" : key_.data(), static_cast<int>(size));
  } else if (!PositionMultiPart(exclusive, &order)) {
    Release();
    ended_ = true;
    return true;
  }
  if (rc == 0) rc = sp_setstring(position_, "order", order, static_cast<int>(strlen(order)));
  if (rc != 0) {
    Release();
    environment_->ThrowSophiaError(env, "cannot position the cursor");
    return false;
  }
  ended_ = false;
  return true;
}

void CursorWalk::PositionSingle(bool exclusive, const char** order, size_t* size) {
  bool reverse = range_->reverse();
  *size = has_key_ ? key_.size() : 0;
  if (*size > kMaxKeySize) {
    // No stored key is longer than kMaxKeySize, so for such keys "at or past
    // the bound" is exactly "past its first kMaxKeySize bytes" going forward,
    // and "at or before those bytes" going backward.
    *size = kMaxKeySize;
    *order = reverse ? "<=" : ">";
  } else if (reverse) {
    *order = exclusive ? "<" : "<=";
  } else {
    *order = exclusive ? ">" : ">=";
  }
}

bool CursorWalk::PositionMultiPart(bool exclusive, const char** order) {
  bool reverse = range_->reverse();
  *order = reverse ? "<=" : ">=";
  if (!has_key_) return true;
  // A bound need not be a key: go to the least key at or after it. Every
  // key before that one is before the bound too.
  bool exact = false;
  if (!schema_->SetCeiling(position_, key_.data(), key_.size(), &fields_, &exact)) {
    // Every key is before the bound: going backward, start from the last.
    return reverse;
  }
  if (exact) {
    *order = reverse ? (exclusive ? "<" : "<=") : (exclusive ? ">" : ">=");
  } else if (reverse) {
    *order = "<";
  }
  return true;
}

void* CursorWalk::Step(Napi::Env env) {
  while (!ended_ && position_ != nullptr) {
    void* result = sp_get(view_->cursor(), position_);
    position_ = nullptr;
    if (result == nullptr) {
      ended_ = true;
      environment_->FailedSinceLastCheck(env, "cannot read from the cursor");
      return nullptr;
    }
    size_t size = 0;
    const char* key = schema_->Key(result, &size);
    if (range_->PastEnd(key, size)) {
      sp_destroy(result);
      ended_ = true;
      return nullptr;
    }
    // The result is the cursor's position for the next step either way.
    position_ = result;
    if (!schema_->Expired(result)) return result;
  }
  return nullptr;
}

void CursorWalk::Release() {
  if (position_ != nullptr) sp_destroy(position_);
  position_ = nullptr;
}

}  // namespace sophia_level
