#pragma once

#include <napi.h>

#include <map>
#include <optional>
#include <string>
#include <unordered_set>

#include "read_set.h"

namespace sophia_level {

class Environment;
class Iterator;
class ReadView;

// An interactive transaction: a Sophia transaction for its writes, a read
// view taken at the same moment for its reads, and a copy of its own writes so
// that its reads and iterators see them (Sophia's cursors do not).
class Transaction : public Napi::ObjectWrap<Transaction> {
 public:
  // What a key of a database was set to by this transaction; nullopt for a
  // deletion.
  using Writes = std::map<std::pair<void*, std::string>, std::optional<std::string>>;

  static Napi::Function DefineClass(Napi::Env env);
  // The open transaction behind a JS value of this environment; nullptr with an
  // error pending otherwise.
  static Transaction* FromValue(Napi::Env env, Napi::Value value, Environment* environment);

  explicit Transaction(const Napi::CallbackInfo& info);
  ~Transaction() override;

  ReadView* view() const { return view_; }
  const Writes& writes() const { return writes_; }
  ReadSet& read_set() { return read_set_; }

  void TrackIterator(Iterator* iterator) { iterators_.insert(iterator); }
  void ForgetIterator(Iterator* iterator) { iterators_.erase(iterator); }

  // Rolls back if still open; called by the environment before it closes.
  void Detach();

 private:
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value GetMany(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value HasMany(const Napi::CallbackInfo& info);
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value Del(const Napi::CallbackInfo& info);
  Napi::Value Commit(const Napi::CallbackInfo& info);
  Napi::Value Rollback(const Napi::CallbackInfo& info);

  bool CheckOpen(Napi::Env env);
  // Reads a key as this transaction sees it: its own write, or the snapshot
  // (recorded in the read set). Returns false with an error pending.
  bool Read(Napi::Env env, void* db, napi_value key, bool* found, std::string* value);
  bool Write(Napi::Env env, void* db, napi_value key, napi_value value);
  // Reads getMany() and hasMany()'s arguments (db, keys) and hands each
  // key's answer, in order, to answer(index, found, value). False with an
  // error pending.
  template <typename Answer>
  bool ReadKeys(const Napi::CallbackInfo& info, Answer answer);
  // Ends the transaction: closes its iterators and releases its view.
  void End();

  Environment* environment_ = nullptr;
  Napi::ObjectReference environment_object_;
  void* transaction_ = nullptr;
  ReadView* view_ = nullptr;
  Writes writes_;
  ReadSet read_set_;
  std::unordered_set<Iterator*> iterators_;
};

}  // namespace sophia_level
