#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "key_range.h"
#include "schema.h"

namespace sophia_level {

class Environment;
class ReadView;

// Walks a key range in one direction through a read view's cursor. Entries
// come from Sophia in batches (sp_getbatch, our patch 0006): one call hands
// over many records, where a read per record would search the index from
// the root each time. The owner keeps the view alive and calls Release()
// before the environment goes.
class CursorWalk {
 public:
  // An entry: pointers valid until the next Step or Seek.
  struct Entry {
    const char* key;
    size_t key_size;
    const char* value;
    size_t value_size;
  };

  // Without `values`, entries come with empty values (copied for nothing).
  CursorWalk(Environment* environment, void* db, ReadView* view, const KeyRange* range, bool values);
  CursorWalk(const CursorWalk&) = delete;
  CursorWalk& operator=(const CursorWalk&) = delete;
  ~CursorWalk() { Release(); }

  // Positions the walk at the start of the range; false with an error pending.
  bool Start(Napi::Env env);
  // Positions the walk at `target` (inclusive), or at the end if the target is
  // outside the range; false with an error pending.
  bool Seek(Napi::Env env, const char* target, size_t size);
  // How much the next batch from Sophia should hold at most: `count`
  // entries, or `bytes` of keys and values, whichever comes first (always
  // at least one entry). It only sizes batches: Step hands out every entry
  // whatever the hint.
  void Hint(size_t count, size_t bytes);
  // The next entry in range; false at the end, or on an error (then
  // pending). Rows past the database's expire setting are skipped.
  bool Step(Napi::Env env, Entry* entry);
  void Release();

  bool ended() const { return exhausted_ && next_ == stored_.size(); }

 private:
  // An entry kept in bytes_: its key, then its value.
  struct Stored {
    size_t offset;
    size_t key_size;
    size_t value_size;
  };

  // Sophia's document keeps a pointer to the key until the read, so the key
  // lives in key_ (and a multi-part key's decoded parts in fields_).
  bool Position(Napi::Env env, bool exclusive);
  // The order to position at, and how much of key_ to set, for a
  // byte-string key.
  void PositionSingle(bool exclusive, const char** order, size_t* size);
  // The order to position at for a multi-part key, whose parts it sets:
  // false if the walk is over before it starts.
  bool PositionMultiPart(bool exclusive, const char** order);
  // A document positioned just past the last record of the previous batch.
  void* Continuation(Napi::Env env);
  // Reads the next batch into bytes_ and stored_; false with an error pending.
  bool Fill(Napi::Env env);
  void Discard();
  static int TakeRecord(void* walk, const void** fields, const int* sizes);
  // Keeps one record of a batch; true once the batch is full or past the
  // range. Runs inside Sophia, under its locks: calls nothing of Sophia's.
  bool Take(const Schema::Record& record);

  Environment* environment_;
  void* db_;
  const Schema* schema_;
  ReadView* view_;
  const KeyRange* range_;
  bool values_;
  std::string key_;
  std::string fields_;
  bool has_key_ = false;
  // The document a Start or Seek positioned, read by the next batch.
  void* position_ = nullptr;
  // The key of the last record a batch looked at, where the next one
  // goes on from.
  std::string last_key_;
  size_t hint_count_ = 64;
  size_t hint_bytes_ = 64 * 1024;
  std::string bytes_;
  std::vector<Stored> stored_;
  size_t next_ = 0;
  bool batch_full_ = false;
  bool past_end_ = false;
  bool exhausted_ = false;
};

}  // namespace sophia_level
