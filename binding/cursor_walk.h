#pragma once

#include <napi.h>

#include <string>

#include "key_range.h"

namespace sophia_level {

class Environment;
class ReadView;
class Schema;

// Walks a key range in one direction through a read view's cursor: each step
// hands the previous result document back to Sophia, which answers the next.
// The owner keeps the view alive and calls Release() before the environment
// goes.
class CursorWalk {
 public:
  CursorWalk(Environment* environment, void* db, ReadView* view, const KeyRange* range);
  CursorWalk(const CursorWalk&) = delete;
  CursorWalk& operator=(const CursorWalk&) = delete;
  ~CursorWalk() { Release(); }

  // Positions the walk at the start of the range; false with an error pending.
  bool Start(Napi::Env env);
  // Positions the walk at `target` (inclusive), or at the end if the target is
  // outside the range; false with an error pending.
  bool Seek(Napi::Env env, const char* target, size_t size);
  // The next document in range, owned by the walk until the next step; or
  // nullptr at the end, or on an error (then pending). Rows past the
  // database's expire setting are skipped.
  void* Step(Napi::Env env);
  void Release();

  bool ended() const { return ended_; }

 private:
  // Sophia's document keeps a pointer to the key until the next read, so the
  // key lives in key_ (and a multi-part key's decoded parts in fields_).
  bool Position(Napi::Env env, bool exclusive);
  // The order to position at, and how much of key_ to set, for a
  // byte-string key.
  void PositionSingle(bool exclusive, const char** order, size_t* size);
  // The order to position at for a multi-part key, whose parts it sets:
  // false if the walk is over before it starts.
  bool PositionMultiPart(bool exclusive, const char** order);

  Environment* environment_;
  void* db_;
  const Schema* schema_;
  ReadView* view_;
  const KeyRange* range_;
  std::string key_;
  std::string fields_;
  bool has_key_ = false;
  void* position_ = nullptr;
  bool ended_ = false;
};

}  // namespace sophia_level
