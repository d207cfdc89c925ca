#pragma once

#include <napi.h>

#include <string>
#include <vector>

namespace sophia_level {

class Database;
class ReadView;

// Walks a range of keys through a Sophia cursor. Entries travel to JS packed
// into one Buffer per call (see nextv), because creating JS values per entry
// through Node-API costs several times more than Sophia's step itself.
class Iterator : public Napi::ObjectWrap<Iterator> {
 public:
  // Bits of the flags argument; keep in sync with iterator.ts.
  enum Flag : uint32_t {
    kReverse = 1 << 0,
    kKeys = 1 << 1,
    kValues = 1 << 2,
    kHasLower = 1 << 3,
    kLowerExclusive = 1 << 4,
    kHasUpper = 1 << 5,
    kUpperExclusive = 1 << 6,
  };

  static Napi::Function DefineClass(Napi::Env env);

  // new Iterator(database, flags, lower, upper, snapshot)
  explicit Iterator(const Napi::CallbackInfo& info);
  ~Iterator() override;

  // Called by the database before its environment goes.
  void Detach();

 private:
  // nextv(count, byteBudget): a Buffer of up to `count` entries, stopping
  // early once `byteBudget` bytes are filled, or undefined at the end. Each
  // entry is [u32le key size, key][u32le value size, value], keys and values
  // present only if the iterator was created with them.
  Napi::Value NextV(const Napi::CallbackInfo& info);
  // seek(target)
  Napi::Value Seek(const Napi::CallbackInfo& info);
  // deleteNext(count): deletes up to `count` of the next keys in one
  // transaction, returning how many; 0 at the end. Used by clear().
  Napi::Value DeleteNext(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  bool CheckUsable(Napi::Env env);
  // Positions the cursor at `key` (or at the start of the range if nullptr),
  // in the iteration direction; false with an error pending. The key must
  // outlive the next Step(): Sophia copies it only when it reads.
  bool Position(Napi::Env env, const std::string* key, bool exclusive);
  // Sophia's next result document in range, or nullptr at the end or on an
  // error (then pending). The document stays owned by the iterator.
  void* Step(Napi::Env env);
  bool InRange(const char* key, size_t size, bool check_lower, bool check_upper) const;

  Database* database_ = nullptr;
  Napi::ObjectReference database_object_;
  ReadView* view_ = nullptr;
  uint32_t flags_ = 0;
  std::string lower_;
  std::string upper_;
  std::string seek_target_;
  // The document to continue from: the start position or the last result.
  void* position_ = nullptr;
  bool ended_ = false;
  std::vector<char> out_;
};

}  // namespace sophia_level
