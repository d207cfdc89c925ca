#include "cursor_walk.h"

#include <cstring>

#include "environment.h"
#include "read_view.h"
#include "sophia.h"

namespace sophia_level {

CursorWalk::CursorWalk(Environment* environment, void* db, ReadView* view, const KeyRange* range, bool values)
    : environment_(environment),
      db_(db),
      schema_(&environment->SchemaOf(db)),
      view_(view),
      range_(range),
      values_(values) {}

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
    Discard();
    exhausted_ = true;
    return true;
  }
  key_.assign(target, size);
  has_key_ = true;
  return Position(env, false);
}

void CursorWalk::Hint(size_t count, size_t bytes) {
  hint_count_ = count;
  hint_bytes_ = bytes;
}

bool CursorWalk::Position(Napi::Env env, bool exclusive) {
  Release();
  Discard();
  exhausted_ = true;
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
    return true;
  }
  if (rc == 0) rc = sp_setstring(position_, "order", order, static_cast<int>(strlen(order)));
  if (rc != 0) {
    Release();
    environment_->ThrowSophiaError(env, "cannot position the cursor");
    return false;
  }
  exhausted_ = false;
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

void* CursorWalk::Continuation(Napi::Env env) {
  void* document = sp_document(db_);
  if (document == nullptr) {
    environment_->ThrowSophiaError(env, "cannot create a document");
    return nullptr;
  }
  // The last key came from a record, so it is a whole key, at most
  // kMaxKeySize bytes.
  key_ = last_key_;
  int rc;
  if (schema_->single()) {
    rc = sp_setstring(document, "key", key_.empty() ? "" : key_.data(), static_cast<int>(key_.size()));
  } else {
    const char* code = nullptr;
    std::string message;
    rc = schema_->SetKey(document, key_.data(), key_.size(), &fields_, &code, &message) ? 0 : -1;
  }
  const char* order = range_->reverse() ? "<" : ">";
  if (rc == 0) rc = sp_setstring(document, "order", order, 1);
  if (rc != 0) {
    sp_destroy(document);
    environment_->ThrowSophiaError(env, "cannot position the cursor");
    return nullptr;
  }
  return document;
}

bool CursorWalk::Fill(Napi::Env env) {
  Discard();
  void* document = position_ != nullptr ? position_ : Continuation(env);
  // Sophia consumes the document whatever the read answers.
  position_ = nullptr;
  exhausted_ = true;
  if (document == nullptr) return false;
  batch_full_ = false;
  past_end_ = false;
  if (sp_getbatch(view_->cursor(), document, TakeRecord, this) < 0) {
    Discard();
    environment_->ThrowSophiaError(env, "cannot read from the cursor");
    return false;
  }
  // A batch that did not fill up read to the end of the data.
  exhausted_ = past_end_ || !batch_full_;
  return true;
}

int CursorWalk::TakeRecord(void* walk, const void** fields, const int* sizes) {
  return static_cast<CursorWalk*>(walk)->Take({fields, sizes}) ? 1 : 0;
}

bool CursorWalk::Take(const Schema::Record& record) {
  size_t offset = bytes_.size();
  schema_->AppendKey(record, &bytes_);
  size_t key_size = bytes_.size() - offset;
  if (range_->PastEnd(bytes_.data() + offset, key_size)) {
    bytes_.resize(offset);
    past_end_ = true;
    return true;
  }
  last_key_.assign(bytes_, offset, key_size);
  if (schema_->Expired(record)) {
    bytes_.resize(offset);
    return false;
  }
  size_t value_size = 0;
  if (values_) {
    const char* value = nullptr;
    schema_->Value(record, &value, &value_size);
    bytes_.append(value, value_size);
  }
  stored_.push_back({offset, key_size, value_size});
  batch_full_ = stored_.size() >= hint_count_ || bytes_.size() >= hint_bytes_;
  return batch_full_;
}

bool CursorWalk::Step(Napi::Env env, Entry* entry) {
  while (next_ == stored_.size()) {
    if (exhausted_ || !Fill(env)) return false;
  }
  const Stored& stored = stored_[next_++];
  entry->key = bytes_.data() + stored.offset;
  entry->key_size = stored.key_size;
  entry->value = entry->key + stored.key_size;
  entry->value_size = stored.value_size;
  return true;
}

void CursorWalk::Discard() {
  bytes_.clear();
  stored_.clear();
  next_ = 0;
}

void CursorWalk::Release() {
  if (position_ != nullptr) sp_destroy(position_);
  position_ = nullptr;
}

}  // namespace sophia_level
