#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cursor_walk.h"
#include "key_range.h"
#include "read_set.h"

namespace sophia_level {

class Environment;
class ReadView;
class Transaction;

// Walks a range of keys through a Sophia cursor. Entries travel to JS packed
// into one Buffer per call (see nextv), because creating JS values per entry
// through Node-API costs several times more than Sophia's step itself.
//
// In a transaction, the iterator reads the transaction's view merged with
// the transaction's own writes made before the iterator was created, and
// records what it read for the transaction's check at commit.
class Iterator : public Napi::ObjectWrap<Iterator> {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  // new Iterator(environment, db, flags, lower, upper, snapshot, transaction)
  explicit Iterator(const Napi::CallbackInfo& info);
  ~Iterator() override;

  // Called by the environment before its environment goes, and by the
  // transaction when it ends.
  void Detach();

 private:
  // nextv(count, byteBudget): a Buffer of up to `count` entries, stopping
  // early once `byteBudget` bytes are filled (Infinity: no bound), or
  // undefined at the end. Each entry is [u32le key size, key][u32le value
  // size, value], keys and values present only if the iterator was created
  // with them.
  Napi::Value NextV(const Napi::CallbackInfo& info);
  // seek(target)
  Napi::Value Seek(const Napi::CallbackInfo& info);
  // deleteNext(count): deletes up to `count` of the next keys in one
  // transaction, returning how many; 0 at the end. Used by clear().
  Napi::Value DeleteNext(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  bool CheckUsable(Napi::Env env);

  // One entry to hand out: pointers valid until the next step.
  using Entry = CursorWalk::Entry;
  // The next entry, merged with the transaction's writes if any; false at
  // the end or on an error (then pending).
  bool Next(Napi::Env env, Entry* entry);
  bool NextMerged(Napi::Env env, Entry* entry);

  // What a transaction's iterator has read, region by region: a region
  // starts at each positioning and grows with every entry handed out.
  void StartRegion(const char* from, size_t size, bool from_range_start);
  void ConsumeCommitted(const Entry& committed);
  void RecordEmitted(const char* key, size_t size);
  void FinishRegion(bool reached_end);
  // Positions the transaction's writes at the start or at a seek target.
  void PositionOverlay(const char* from, size_t size, bool from_range_start);

  Environment* environment_ = nullptr;
  Napi::ObjectReference environment_object_;
  ReadView* view_ = nullptr;
  void* db_ = nullptr;
  KeyRange range_;
  std::optional<CursorWalk> walk_;
  std::vector<char> out_;

  Transaction* transaction_ = nullptr;
  Napi::ObjectReference transaction_object_;
  // The transaction's writes in range, in iteration order.
  std::vector<std::pair<std::string, std::optional<std::string>>> overlay_;
  size_t overlay_position_ = 0;
  // A committed entry fetched from the cursor but not yet handed out.
  Entry pending_{};
  bool has_pending_ = false;
  bool region_open_ = false;
  KeyRange region_;
  ReadSet::Hash region_hash_;
  uint64_t region_hash_at_last_emit_ = 0;
  std::string region_end_;
  bool region_emitted_ = false;
};

}  // namespace sophia_level
