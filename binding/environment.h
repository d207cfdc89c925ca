#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "bytes.h"
#include "directory_lock.h"
#include "schema.h"

namespace sophia_level {

class Iterator;
class ReadView;
class Snapshot;
class Transaction;

// A Sophia configuration key to set before opening: of the environment
// (database empty) or of a database ("db.<database>.<key>"). A stored
// setting is one Sophia keeps with the database and restores on reopening:
// it is read back after opening, and must match.
struct Setting {
  std::string database;
  std::string key;
  bool is_number = false;
  int64_t number = 0;
  std::string text;
  bool stored = false;
};

// Settings read from the JS options before opening.
struct OpenOptions {
  std::string location;
  bool create_if_missing = true;
  bool error_if_exists = false;
  int64_t threads = 1;
  // The databases the caller wants, by name.
  std::vector<std::string> databases;
  // Where the write-ahead log lives; empty for <location>/log.
  std::string log_path;
  std::vector<Setting> settings;

  std::string log_directory() const { return log_path.empty() ? location + "/log" : log_path; }
};

// One Sophia environment and its databases, as a JS object. Databases are
// named by their index in the declaration order (see DatabaseCatalog), which
// open() answers for the names asked for.
//
// Point operations run synchronously on the JS thread: Sophia serialises every
// call behind one mutex and a get or put costs about 2 µs, far less than a
// thread-pool round trip. What can block (opening with log replay, closing,
// fdatasync for `sync: true`) runs on the thread pool.
class Environment : public Napi::ObjectWrap<Environment> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  static Environment* FromValue(Napi::Env env, Napi::Value value);

  explicit Environment(const Napi::CallbackInfo& info);
  ~Environment() override;

  void* sophia_env() const { return sophia_env_; }
  // The database at a JS index argument, or nullptr with an error pending.
  void* DatabaseAt(Napi::Env env, Napi::Value index);
  // How an open database's documents hold keys (see Schema).
  const Schema& SchemaOf(void* db) const;

  // Throws LEVEL_DATABASE_NOT_OPEN and returns false when not open.
  bool CheckOpen(Napi::Env env);
  // Reads an optional snapshot argument into its view (nullptr if absent);
  // false with an error pending if it is closed or not of this environment.
  bool ReadSnapshotArgument(Napi::Env env, Napi::Value value, ReadView** view);

  // A new document with its key set, or nullptr with an error pending.
  void* NewKeyDocument(Napi::Env env, void* db, const char* key, size_t size);
  void* NewKeyDocument(Napi::Env env, void* db, const ByteView& key) {
    return NewKeyDocument(env, db, key.data(), key.size());
  }
  // Applies one write to a database, through `target` (the database itself
  // or a transaction); a nullptr value is a deletion. False with an error
  // pending.
  bool Write(Napi::Env env, void* target, void* db, const ByteView& key, const ByteView* value);
  // Write() in two steps: the document (key and value set; it points at
  // their bytes until applied), or nullptr with an error pending; then
  // applying it, which consumes it whatever the answer.
  void* NewWriteDocument(Napi::Env env, void* db, const ByteView& key, const ByteView* value);
  bool ApplyWrite(Napi::Env env, void* target, void* document, bool put);
  // Throws the error Sophia reported, falling back to `what` when it has none.
  void ThrowSophiaError(Napi::Env env, const std::string& what);
  // After Sophia answered NULL, tells "not found" (false) from a failure
  // (true, with the error pending).
  bool FailedSinceLastCheck(Napi::Env env, const std::string& what);
  // Reads a key in the view (or the latest data if view is nullptr); returns
  // Sophia's result document or nullptr if absent. Check env for errors.
  void* ReadKey(Napi::Env env, void* db, const ByteView& key, ReadView* view);
  // ReadKey() in two steps: the document to read `key` with (it points at
  // the key's bytes until read), or nullptr with an error pending; then the
  // read, which consumes it.
  void* NewReadDocument(Napi::Env env, void* db, const ByteView& key, ReadView* view);
  void* ReadDocument(Napi::Env env, void* db, void* document, const ByteView& key, ReadView* view);

  // sp_commit, with its answers turned into errors; false with an error pending.
  bool Commit(Napi::Env env, void* transaction);

  void TrackIterator(Iterator* iterator) { iterators_.insert(iterator); }
  void ForgetIterator(Iterator* iterator) { iterators_.erase(iterator); }
  void TrackTransaction(Transaction* transaction) { transactions_.insert(transaction); }
  void ForgetTransaction(Transaction* transaction) { transactions_.erase(transaction); }
  void TrackSnapshot(Snapshot* snapshot) { snapshots_.insert(snapshot); }
  void ForgetSnapshot(Snapshot* snapshot) { snapshots_.erase(snapshot); }
  void TrackView(ReadView* view) { views_.insert(view); }
  void ForgetView(ReadView* view) { views_.erase(view); }

  const std::string& log_directory() const { return log_directory_; }

  // Bookkeeping of thread-pool work that close() waits for.
  void WorkStarted() { ++pending_work_; }
  void WorkFinished(Napi::Env env);

 private:
  friend class OpenWorker;
  friend class CloseWorker;

  enum class State { kClosed, kOpening, kOpen, kClosing };

  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Lock(const Napi::CallbackInfo& info);
  Napi::Value Unlock(const Napi::CallbackInfo& info);
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value Del(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value GetMany(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value HasMany(const Napi::CallbackInfo& info);
  Napi::Value Batch(const Napi::CallbackInfo& info);
  Napi::Value SyncLog(const Napi::CallbackInfo& info);
  Napi::Value NewIterator(const Napi::CallbackInfo& info);
  Napi::Value NewSnapshot(const Napi::CallbackInfo& info);
  Napi::Value NewTransaction(const Napi::CallbackInfo& info);
  Napi::Value Configuration(const Napi::CallbackInfo& info);
  Napi::Value Command(const Napi::CallbackInfo& info);

  // Runs on the thread pool (or in the cleanup hook), under lifecycle_mutex_.
  bool OpenEnvironment(const OpenOptions& options, std::string* code, std::string* message);
  // Creates the directory or checks that it holds an environment, as the
  // createIfMissing and errorIfExists options say.
  static bool PrepareLocation(const OpenOptions& options, std::string* code, std::string* message);
  // Sets every configuration key; false if Sophia refuses one (message set).
  static bool Configure(void* env, const OpenOptions& options, const std::vector<std::string>& names,
                        std::string* message);
  // After opening: false if a stored setting differs from the one asked for.
  static bool CheckStoredSettings(void* env, const OpenOptions& options, std::string* message);
  // After opening: reads each database's scheme into schemas_, and checks it
  // against the fields asked for; false with *message if it differs or is
  // not one this binding reads.
  bool LoadSchemas(void* env, const OpenOptions& options, const std::vector<std::string>& names,
                   std::string* message);
  void DestroyEnvironment();
  bool TakeLock(const std::string& location, std::string* code, std::string* message);

  // Frees every iterator, snapshot and view before the environment goes.
  void ReleaseResources();
  void StartClose(Napi::Env env);
  void Closed();
  static void CleanupHook(void* arg);
  void AddCleanupHook(Napi::Env env);
  void RemoveCleanupHook(Napi::Env env);


  Napi::Value ValueOf(Napi::Env env, void* document, bool as_buffer);
  // Reads getMany() and hasMany()'s arguments (db, keys, snapshot?) and hands
  // Sophia's answer for each key, in order, to answer(index, result), result
  // nullptr for a missing key. False with an error pending.
  template <typename Answer>
  bool ReadKeys(const Napi::CallbackInfo& info, Answer answer);
  // ReadKeys() for two keys or more of one part each, with Sophia's index
  // descents to all of them done at once first.
  template <typename Answer>
  bool ReadPrefetched(Napi::Env env, void* db, Napi::Array keys, ReadView* view, Answer answer);
  // Sets the value field; false with an error pending.
  bool SetValue(Napi::Env env, void* document, const ByteView& value);
  // Applies pending_writes_ in key order, stably (the last write to a key
  // wins), forgetting those applied; false with an error pending.
  bool ApplyInKeyOrder(Napi::Env env, void* transaction);
  // Destroys the documents of the pending writes left, and forgets them.
  void DiscardPendingWrites();
  // One key or value of a batch: from its frame, or else the next of the
  // fields left out of the frames. False with an error pending.
  bool BatchField(Napi::Env env, Napi::Array fields, uint32_t* next_field, bool in_frame, const char* data,
                  uint32_t size, ByteView* field, const char* what);
  // Reads the key and value arguments of a write and applies it.
  bool WriteArguments(Napi::Env env, void* target, void* db, napi_value key, napi_value value);

  State state_ = State::kClosed;
  void* sophia_env_ = nullptr;
  // Handles of every declared database, in declaration order, and their
  // schemas.
  std::vector<void*> sophia_dbs_;
  std::vector<Schema> schemas_;
  // Indexes of the databases open() was asked for, in the order asked.
  std::vector<uint32_t> requested_indexes_;
  DirectoryLock lock_;
  std::string log_directory_;
  int64_t known_errors_ = 0;

  // Guards the environment against the cleanup hook while a thread-pool
  // worker opens or closes it.
  std::mutex lifecycle_mutex_;
  bool torn_down_ = false;
  bool cleanup_hook_added_ = false;

  int pending_work_ = 0;
  // A close() that waits for pending_work_ to reach zero.
  std::unique_ptr<Napi::Promise::Deferred> waiting_close_;

  std::unordered_set<Iterator*> iterators_;
  std::unordered_set<Transaction*> transactions_;
  std::unordered_set<Snapshot*> snapshots_;
  std::unordered_set<ReadView*> views_;

  // A batch's write whose document waits to be applied in key order.
  struct PendingWrite {
    void* document;
    const char* key;
    size_t key_size;
    bool put;
  };

  // Reused by the synchronous calls, which never overlap.
  ByteView key_;
  ByteView value_;
  std::vector<PendingWrite> pending_writes_;
  // The string fields of the pending writes (their documents point at them).
  std::vector<std::vector<char>> pinned_fields_;
  // Decoded key parts of the document being written or read.
  std::string key_fields_;
};

}  // namespace sophia_level
