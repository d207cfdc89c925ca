#include "environment.h"

#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "addon_data.h"
#include "batch_frames.h"
#include "catalog.h"
#include "errors.h"
#include "packed.h"
#include "iterator.h"
#include "lifecycle_workers.h"
#include "log_sync_worker.h"
#include "read_view.h"
#include "snapshot.h"
#include "transaction.h"
#include "sophia.h"

namespace sophia_level {

namespace {

const napi_type_tag kEnvironmentTag = {0x3f4e5d6c7b8a9f01ULL, 0x1a2b3c4d5e6f7081ULL};

// How many keys sp_prefetch descends to at once (SI_PREFETCH_GROUP).
constexpr uint32_t kPrefetchGroup = 64;

std::string SizeMessage(const char* what, size_t size, size_t limit) {
  return std::string(what) + " is " + std::to_string(size) + " bytes, more than the limit of " +
         std::to_string(limit) + " bytes";
}

bool MakeDirectories(const std::string& path, std::string* message) {
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    std::string part = path.substr(0, end);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      *message = "cannot create " + part + ": " + strerror(errno);
      return false;
    }
    if (end == std::string::npos) return true;
  }
}

}  // namespace

Napi::Function Environment::DefineClass(Napi::Env env) {
  return ObjectWrap<Environment>::DefineClass(env, "Environment",
                                           {
                                               InstanceMethod<&Environment::Open>("open"),
                                               InstanceMethod<&Environment::Close>("close"),
                                               InstanceMethod<&Environment::Lock>("lock"),
                                               InstanceMethod<&Environment::Unlock>("unlock"),
                                               InstanceMethod<&Environment::Put>("put"),
                                               InstanceMethod<&Environment::Del>("del"),
                                               InstanceMethod<&Environment::Get>("get"),
                                               InstanceMethod<&Environment::GetMany>("getMany"),
                                               InstanceMethod<&Environment::Has>("has"),
                                               InstanceMethod<&Environment::HasMany>("hasMany"),
                                               InstanceMethod<&Environment::Batch>("batch"),
                                               InstanceMethod<&Environment::SyncLog>("syncLog"),
                                               InstanceMethod<&Environment::NewIterator>("iterator"),
                                               InstanceMethod<&Environment::NewSnapshot>("snapshot"),
                                               InstanceMethod<&Environment::NewTransaction>("transaction"),
                                               InstanceMethod<&Environment::Configuration>("configuration"),
                                               InstanceMethod<&Environment::Command>("command"),
                                           });
}

Environment* Environment::FromValue(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  bool tagged = false;
  napi_check_object_type_tag(env, value, &kEnvironmentTag, &tagged);
  return tagged ? Environment::Unwrap(value.As<Napi::Object>()) : nullptr;
}

Environment::Environment(const Napi::CallbackInfo& info) : ObjectWrap<Environment>(info) {
  napi_type_tag_object(info.Env(), info.This(), &kEnvironmentTag);
}

Environment::~Environment() {
  // Only reached when the environment is torn down or the environment was
  // closed; either way Sophia's handles are gone, but iterators and
  // snapshots may still point at us.
  ReleaseResources();
}

bool Environment::CheckOpen(Napi::Env env) {
  if (state_ == State::kOpen) return true;
  ThrowCodeError(env, "LEVEL_DATABASE_NOT_OPEN", "Database is not open");
  return false;
}

void Environment::ThrowSophiaError(Napi::Env env, const std::string& what) {
  std::string message = LastSophiaError(sophia_env_);
  known_errors_ = sp_getint(sophia_env_, "sophia.errors");
  const char* code = CodeForSophiaMessage(message);
  // A failed log or node file write puts Sophia in malfunction whatever its
  // message says (and after the first, it keeps repeating that message).
  if (code == kSophiaError && IsMalfunctioning(sophia_env_)) code = "LEVEL_IO_ERROR";
  ThrowCodeError(env, code, message.empty() ? what : what + ": " + message);
}

bool Environment::FailedSinceLastCheck(Napi::Env env, const std::string& what) {
  // Sophia answers NULL both for "not found" and for failures; its error
  // counter tells them apart. Reading it costs a configuration walk, so only
  // NULL answers pay for it.
  if (sp_getint(sophia_env_, "sophia.errors") != known_errors_) {
    ThrowSophiaError(env, what);
    return true;
  }
  // In malfunction Sophia answers every read with NULL without counting an
  // error: that is no "not found".
  if (!IsMalfunctioning(sophia_env_)) return false;
  ThrowCodeError(env, "LEVEL_IO_ERROR",
                 what + ": Sophia stopped after an I/O failure (" + LastSophiaError(sophia_env_) +
                     "); close and reopen the database");
  return true;
}

void* Environment::DatabaseAt(Napi::Env env, Napi::Value index) {
  uint32_t position = index.IsNumber() ? index.As<Napi::Number>().Uint32Value() : UINT32_MAX;
  if (position >= sophia_dbs_.size()) {
    ThrowTypeError(env, "No such database in this environment");
    return nullptr;
  }
  return sophia_dbs_[position];
}

void* Environment::NewKeyDocument(Napi::Env env, void* db, const char* key, size_t size) {
  void* document = sp_document(db);
  if (document == nullptr) {
    ThrowSophiaError(env, "cannot create a document");
    return nullptr;
  }
  const char* code = nullptr;
  std::string message;
  if (!SchemaOf(db).SetKey(document, key, size, &key_fields_, &code, &message)) {
    sp_destroy(document);
    if (code == kSophiaError) {
      ThrowSophiaError(env, message);
    } else {
      ThrowCodeError(env, code, message);
    }
    return nullptr;
  }
  return document;
}

const Schema& Environment::SchemaOf(void* db) const {
  size_t position = std::find(sophia_dbs_.begin(), sophia_dbs_.end(), db) - sophia_dbs_.begin();
  return schemas_[position];
}

bool Environment::SetValue(Napi::Env env, void* document, const ByteView& value) {
  if (value.size() > kMaxValueSize) {
    ThrowCodeError(env, kValueTooLarge, SizeMessage("Value", value.size(), kMaxValueSize));
    return false;
  }
  // A failed field write would still let sp_set store the row with an empty
  // value, so every answer is checked.
  if (sp_setstring(document, "value", value.field_data(), static_cast<int>(value.size())) != 0) {
    ThrowSophiaError(env, "cannot set the value");
    return false;
  }
  return true;
}

void* Environment::NewReadDocument(Napi::Env env, void* db, const ByteView& key, ReadView* view) {
  void* document = NewKeyDocument(env, db, key);
  if (document == nullptr || view == nullptr) return document;
  // Cursors have no exact-match order: ReadDocument() seeks to the first key
  // at or after this one and sees whether it is the one.
  if (sp_setstring(document, "order", ">=", 2) != 0) {
    sp_destroy(document);
    ThrowSophiaError(env, "cannot set the order");
    return nullptr;
  }
  return document;
}

void* Environment::ReadDocument(Napi::Env env, void* db, void* document, const ByteView& key, ReadView* view) {
  const Schema& schema = SchemaOf(db);
  if (view == nullptr) {
    void* result = sp_get(db, document);
    if (result == nullptr) {
      FailedSinceLastCheck(env, "cannot read");
    } else if (schema.Expired(result)) {
      sp_destroy(result);
      return nullptr;
    }
    return result;
  }
  void* result = sp_get(view->cursor(), document);
  if (result == nullptr) {
    FailedSinceLastCheck(env, "cannot read");
    return nullptr;
  }
  size_t size = 0;
  const char* found = schema.Key(result, &size);
  if (CompareBytes(found, size, key.data(), key.size()) != 0 || schema.Expired(result)) {
    sp_destroy(result);
    return nullptr;
  }
  return result;
}

void* Environment::ReadKey(Napi::Env env, void* db, const ByteView& key, ReadView* view) {
  void* document = NewReadDocument(env, db, key, view);
  return document == nullptr ? nullptr : ReadDocument(env, db, document, key, view);
}

Napi::Value Environment::ValueOf(Napi::Env env, void* document, bool as_buffer) {
  int size = 0;
  const char* value = static_cast<const char*>(sp_getstring(document, "value", &size));
  if (value == nullptr) size = 0;
  Napi::Value result = as_buffer ? Napi::Buffer<char>::Copy(env, size == 0 ? "" : value, size).As<Napi::Value>()
                                 : Napi::String::New(env, size == 0 ? "" : value, size).As<Napi::Value>();
  sp_destroy(document);
  return result;
}

bool Environment::ReadSnapshotArgument(Napi::Env env, Napi::Value value, ReadView** view) {
  *view = nullptr;
  if (value.IsUndefined() || value.IsNull()) return true;
  Snapshot* snapshot = Snapshot::FromValue(env, value);
  if (snapshot == nullptr) {
    ThrowTypeError(env, "The snapshot option must be a snapshot of this database");
    return false;
  }
  if (snapshot->view() == nullptr) {
    ThrowCodeError(env, "LEVEL_SNAPSHOT_NOT_OPEN", "Snapshot is not open");
    return false;
  }
  // A cursor of another environment would read this one's documents.
  if (snapshot->environment() != this) {
    ThrowTypeError(env, "The snapshot option must be a snapshot of this database");
    return false;
  }
  *view = snapshot->view();
  return true;
}

bool Environment::WriteArguments(Napi::Env env, void* target, void* db, napi_value key, napi_value value) {
  if (!key_.Read(env, key, "Key")) return false;
  if (value != nullptr && !value_.Read(env, value, "Value")) return false;
  return Write(env, target, db, key_, value == nullptr ? nullptr : &value_);
}

bool Environment::Write(Napi::Env env, void* target, void* db, const ByteView& key, const ByteView* value) {
  void* document = NewWriteDocument(env, db, key, value);
  return document != nullptr && ApplyWrite(env, target, document, value != nullptr);
}

void* Environment::NewWriteDocument(Napi::Env env, void* db, const ByteView& key, const ByteView* value) {
  void* document = NewKeyDocument(env, db, key);
  if (document == nullptr) return nullptr;
  if (value != nullptr && !SetValue(env, document, *value)) {
    sp_destroy(document);
    return nullptr;
  }
  return document;
}

bool Environment::ApplyWrite(Napi::Env env, void* target, void* document, bool put) {
  int rc = put ? sp_set(target, document) : sp_delete(target, document);
  if (rc == 0) return true;
  if (rc == 1) {
    ThrowCodeError(env, kTransactionLocked, "Key is written by a transaction that has not committed yet");
  } else {
    ThrowSophiaError(env, put ? "cannot put" : "cannot delete");
  }
  return false;
}

bool Environment::Commit(Napi::Env env, void* transaction) {
  switch (sp_commit(transaction)) {
    case 0:
      return true;
    case 1:
      // Sophia rolled back and freed the transaction.
      ThrowCodeError(env, kTransactionConflict, "Transaction conflicts with a concurrent write and was rolled back");
      return false;
    case 2:
      sp_destroy(transaction);
      ThrowCodeError(env, kTransactionLocked, "Key is written by a transaction that has not committed yet");
      return false;
    default:
      // After a log write error Sophia has freed the transaction; after
      // "environment not online" it has not, and it is left to sp_destroy(env)
      // rather than risk a double free.
      ThrowSophiaError(env, "cannot commit");
      return false;
  }
}

Napi::Value Environment::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_ != State::kClosed) {
    ThrowCodeError(env, "LEVEL_DATABASE_NOT_CLOSED", "Database is not closed");
    return env.Undefined();
  }
  if (!info[0].IsString() || !info[1].IsBoolean() || !info[2].IsBoolean() || !info[3].IsNumber() || !info[4].IsArray()) {
    ThrowTypeError(env,
                   "open(location, createIfMissing, errorIfExists, threads, databases) takes a string, two booleans, "
                   "a number and an array of names");
    return env.Undefined();
  }
  OpenOptions settings;
  settings.location = info[0].As<Napi::String>().Utf8Value();
  settings.create_if_missing = info[1].As<Napi::Boolean>().Value();
  settings.error_if_exists = info[2].As<Napi::Boolean>().Value();
  settings.threads = info[3].As<Napi::Number>().Int64Value();
  Napi::Array names = info[4].As<Napi::Array>();
  for (uint32_t i = 0; i < names.Length(); i++) {
    Napi::Value name = names.Get(i);
    if (name.IsEmpty() || !name.IsString()) {
      ThrowTypeError(env, "database names must be strings");
      return env.Undefined();
    }
    settings.databases.push_back(name.As<Napi::String>().Utf8Value());
  }
  // settings: a flat array of [database ('' for the environment), key,
  // value (number or string), stored] quadruples.
  if (info[5].IsArray()) {
    Napi::Array flat = info[5].As<Napi::Array>();
    for (uint32_t i = 0; i + 3 < flat.Length(); i += 4) {
      Napi::Value database = flat.Get(i);
      Napi::Value key = flat.Get(i + 1);
      Napi::Value value = flat.Get(i + 2);
      Napi::Value stored = flat.Get(i + 3);
      if (database.IsEmpty() || key.IsEmpty() || value.IsEmpty() || stored.IsEmpty() || !database.IsString() ||
          !key.IsString() || !(value.IsNumber() || value.IsString())) {
        ThrowTypeError(env, "settings must be [database, key, value, stored] quadruples");
        return env.Undefined();
      }
      Setting setting;
      setting.database = database.As<Napi::String>().Utf8Value();
      setting.key = key.As<Napi::String>().Utf8Value();
      setting.is_number = value.IsNumber();
      if (setting.is_number) {
        setting.number = value.As<Napi::Number>().Int64Value();
      } else {
        setting.text = value.As<Napi::String>().Utf8Value();
      }
      setting.stored = stored.IsBoolean() && stored.As<Napi::Boolean>().Value();
      if (setting.database.empty() && setting.key == "log.path") {
        settings.log_path = setting.text;
      } else {
        settings.settings.push_back(std::move(setting));
      }
    }
  }
  state_ = State::kOpening;
  AddCleanupHook(env);
  // Held until close so that an environment nobody refers to any more is not
  // collected while open.
  Ref();
  OpenWorker* worker = new OpenWorker(env, this, settings);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

bool Environment::OpenEnvironment(const OpenOptions& options, std::string* code, std::string* message) {
  if (torn_down_) {
    *code = "LEVEL_DATABASE_NOT_OPEN";
    *message = "environment is shutting down";
    return false;
  }
  if (!PrepareLocation(options, code, message)) {
    lock_.Unlock();
    return false;
  }
  if (!lock_.held() && !TakeLock(options.location, code, message)) return false;
  std::vector<std::string> names;
  bool environment_exists = access(options.log_directory().c_str(), F_OK) == 0;
  std::string catalog_error;
  if (!DatabaseCatalog::Resolve(options.location, environment_exists, options.databases, &names, &catalog_error)) {
    lock_.Unlock();
    *code = "LEVEL_IO_ERROR";
    *message = catalog_error;
    return false;
  }
  log_directory_ = options.log_directory();
  // Sophia parses database schemes with strtok(), whose state is global, when
  // it opens an environment: two environments opening at once on the thread
  // pool corrupted each other's schemes (test/concurrent-open-test.js). So
  // opening is serialised across the process, worker threads included.
  static std::mutex opening_mutex;
  std::lock_guard<std::mutex> opening_guard(opening_mutex);
  void* env = sp_env();
  if (env == nullptr) {
    lock_.Unlock();
    *code = kSophiaError;
    *message = "cannot create a Sophia environment";
    return false;
  }
  if (!Configure(env, options, names, message)) {
    *code = kSophiaError;
    sp_destroy(env);
    lock_.Unlock();
    return false;
  }
  if (sp_open(env) != 0) {
    *message = LastSophiaError(env);
    *code = CodeForSophiaMessage(*message);
    sp_destroy(env);
    lock_.Unlock();
    return false;
  }
  if (!CheckStoredSettings(env, options, message) || !LoadSchemas(env, options, names, message)) {
    *code = kOptionMismatch;
    sp_destroy(env);
    lock_.Unlock();
    return false;
  }
  sophia_env_ = env;
  sophia_dbs_.clear();
  for (const std::string& name : names) sophia_dbs_.push_back(sp_getobject(env, ("db." + name).c_str()));
  requested_indexes_.clear();
  for (const std::string& name : options.databases) {
    requested_indexes_.push_back(static_cast<uint32_t>(std::find(names.begin(), names.end(), name) - names.begin()));
  }
  known_errors_ = sp_getint(env, "sophia.errors");
  return true;
}

bool Environment::Configure(void* env, const OpenOptions& options, const std::vector<std::string>& names,
                            std::string* message) {
  auto set_number = [&](const std::string& key, int64_t number) {
    if (sp_setint(env, key.c_str(), number) == 0) return true;
    *message = "cannot set " + key + ": " + LastSophiaError(env);
    return false;
  };
  auto set_text = [&](const std::string& key, const std::string& text) {
    if (sp_setstring(env, key.c_str(), text.c_str(), 0) == 0) return true;
    *message = "cannot set " + key + ": " + LastSophiaError(env);
    return false;
  };
  auto set = [&](const std::string& key, const Setting& setting) {
    return setting.is_number ? set_number(key, setting.number) : set_text(key, setting.text);
  };
  if (!set_text("sophia.path", options.location) || !set_number("scheduler.threads", options.threads) ||
      !set_text("log.path", options.log_directory())) {
    return false;
  }
  for (const Setting& setting : options.settings) {
    if (setting.database.empty() && !set(setting.key, setting)) return false;
  }
  for (const std::string& name : names) {
    std::string prefix = "db." + name + ".";
    // Declaring a database is itself a configuration write: "db" = name.
    if (!set_text("db", name) || !set_number(prefix + "limit.field", static_cast<int64_t>(kMaxValueSize))) return false;
    for (const Setting& setting : options.settings) {
      if (setting.database == name && !set(prefix + setting.key, setting)) return false;
    }
  }
  return true;
}

bool Environment::CheckStoredSettings(void* env, const OpenOptions& options, std::string* message) {
  for (const Setting& setting : options.settings) {
    if (!setting.stored) continue;
    std::string key = "db." + setting.database + "." + setting.key;
    std::string actual;
    std::string asked;
    if (setting.is_number) {
      actual = std::to_string(sp_getint(env, key.c_str()));
      asked = std::to_string(setting.number);
    } else {
      char* text = static_cast<char*>(sp_getstring(env, key.c_str(), nullptr));
      actual = text == nullptr ? "" : text;
      free(text);
      asked = setting.text;
    }
    if (actual != asked) {
      *message = "Database '" + setting.database + "' was created with " + setting.key + " " + actual +
                 ", which it keeps; it cannot be opened with " + asked;
      return false;
    }
  }
  return true;
}

bool Environment::LoadSchemas(void* env, const OpenOptions& options, const std::vector<std::string>& names,
                              std::string* message) {
  // Sophia lists each database's fields, in declaration order, among its
  // configuration keys: db.<name>.scheme.<field> = "<type>[,key(n)]...",
  // followed by its own hidden ones ("_flags" "u8,flags", "_lsn" "u64,lsn").
  std::vector<std::vector<Schema::Field>> stored(names.size());
  void* cursor = sp_getobject(env, nullptr);
  if (cursor == nullptr) {
    *message = "cannot read the configuration: " + LastSophiaError(env);
    return false;
  }
  for (void* entry = sp_get(cursor, nullptr); entry != nullptr; entry = sp_get(cursor, entry)) {
    const char* key = static_cast<const char*>(sp_getstring(entry, "key", nullptr));
    const char* value = static_cast<const char*>(sp_getstring(entry, "value", nullptr));
    if (key == nullptr || strncmp(key, "db.", 3) != 0) continue;
    for (size_t i = 0; i < names.size(); i++) {
      std::string prefix = "db." + names[i] + ".scheme.";
      if (strncmp(key, prefix.c_str(), prefix.size()) != 0) continue;
      std::string options = value == nullptr ? "" : value;
      bool hidden = options.size() >= 6 && (options.compare(options.size() - 6, 6, ",flags") == 0 ||
                                            options.compare(options.size() - 4, 4, ",lsn") == 0);
      if (!hidden) stored[i].push_back({key + prefix.size(), options});
    }
  }
  sp_destroy(cursor);
  schemas_.assign(names.size(), Schema());
  for (size_t i = 0; i < names.size(); i++) {
    // The fields asked for: "scheme" settings name them in order, and a
    // "scheme.<field>" setting gives each its options.
    std::vector<Schema::Field> asked;
    for (const Setting& setting : options.settings) {
      if (setting.database != names[i]) continue;
      if (setting.key == "scheme") asked.push_back({setting.text, ""});
      if (setting.key.compare(0, 7, "scheme.") == 0) {
        for (Schema::Field& field : asked) {
          if (field.name == setting.key.substr(7)) field.options = setting.text;
        }
      }
    }
    auto describe = [](const std::vector<Schema::Field>& fields) {
      std::string text;
      for (const Schema::Field& field : fields) text += (text.empty() ? "" : "; ") + field.name + " " + field.options;
      return text;
    };
    bool same = asked.size() == stored[i].size();
    for (size_t k = 0; same && k < asked.size(); k++) {
      same = asked[k].name == stored[i][k].name && asked[k].options == stored[i][k].options;
    }
    if (!asked.empty() && !same) {
      *message = "Database '" + names[i] + "' was created with the fields [" + describe(stored[i]) +
                 "], which it keeps; it cannot be opened with [" + describe(asked) + "] (keySchema or expire)";
      return false;
    }
    uint32_t expire = static_cast<uint32_t>(sp_getint(env, ("db." + names[i] + ".expire").c_str()));
    std::string problem;
    if (!schemas_[i].Load(stored[i], expire, &problem)) {
      *message = "Database '" + names[i] + "' has a scheme sophia-level cannot read: " + problem;
      return false;
    }
  }
  return true;
}

bool Environment::PrepareLocation(const OpenOptions& options, std::string* code, std::string* message) {
  const std::string& location = options.location;
  struct stat info;
  if (stat(location.c_str(), &info) != 0) {
    if (!options.create_if_missing) {
      *code = kDatabaseMissing;
      *message = "Database at " + location + " does not exist (createIfMissing is false)";
      return false;
    }
    if (!MakeDirectories(location, message)) {
      *code = "LEVEL_IO_ERROR";
      return false;
    }
  } else if (!S_ISDIR(info.st_mode)) {
    *code = "LEVEL_IO_ERROR";
    *message = "Location " + location + " is not a directory";
    return false;
  }
  bool exists = stat(options.log_directory().c_str(), &info) == 0;
  if (!exists && !options.create_if_missing) {
    *code = kDatabaseMissing;
    *message = "Database at " + location + " does not exist (createIfMissing is false)";
    return false;
  }
  if (exists && options.error_if_exists) {
    *code = kDatabaseExists;
    *message = "Database at " + location + " exists (errorIfExists is true)";
    return false;
  }
  return true;
}

bool Environment::TakeLock(const std::string& location, std::string* code, std::string* message) {
  switch (lock_.Lock(location)) {
    case DirectoryLock::Result::kLocked:
      return true;
    case DirectoryLock::Result::kHeldElsewhere:
      *code = "LEVEL_LOCKED";
      *message = "Database at " + location + " is locked: it is open in another instance or process";
      return false;
    case DirectoryLock::Result::kFailed:
      *code = "LEVEL_IO_ERROR";
      *message = lock_.error();
      return false;
  }
  return false;
}

// lock(location): takes the directory lock ahead of open(), so that the
// write-ahead log can be checked and repaired (write-ahead-log.ts) while no
// one else can open it. open() keeps it; unlock() gives it back.
Napi::Value Environment::Lock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_ != State::kClosed || !info[0].IsString()) {
    ThrowTypeError(env, "lock(location) takes a string, before opening");
    return env.Undefined();
  }
  std::string code;
  std::string message;
  if (!lock_.held() && !TakeLock(info[0].As<Napi::String>().Utf8Value(), &code, &message)) {
    ThrowCodeError(env, code.c_str(), message);
  }
  return env.Undefined();
}

Napi::Value Environment::Unlock(const Napi::CallbackInfo& info) {
  if (state_ == State::kClosed) lock_.Unlock();
  return info.Env().Undefined();
}

void Environment::DestroyEnvironment() {
  if (sophia_env_ != nullptr) {
    // sp_destroy(env) takes no lock of its own; nothing else may be inside
    // Sophia now (see ReleaseResources and the callers).
    sp_destroy(sophia_env_);
    sophia_env_ = nullptr;
    sophia_dbs_.clear();
  }
  lock_.Unlock();
}

void Environment::ReleaseResources() {
  while (!iterators_.empty()) (*iterators_.begin())->Detach();
  while (!transactions_.empty()) (*transactions_.begin())->Detach();
  while (!snapshots_.empty()) (*snapshots_.begin())->Detach();
  for (ReadView* view : views_) view->Invalidate();
  views_.clear();
}

Napi::Value Environment::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = std::make_unique<Napi::Promise::Deferred>(env);
  Napi::Promise promise = deferred->Promise();
  if (state_ != State::kOpen) {
    deferred->Resolve(env.Undefined());
    return promise;
  }
  state_ = State::kClosing;
  waiting_close_ = std::move(deferred);
  if (pending_work_ == 0) StartClose(env);
  return promise;
}

void Environment::StartClose(Napi::Env env) {
  ReleaseResources();
  (new CloseWorker(env, this, std::move(waiting_close_)))->Queue();
}

void Environment::Closed() {
  state_ = State::kClosed;
  RemoveCleanupHook(Env());
  Unref();
}

void Environment::WorkFinished(Napi::Env env) {
  if (--pending_work_ == 0 && state_ == State::kClosing && waiting_close_) StartClose(env);
}

void Environment::CleanupHook(void* arg) {
  // The environment (process or worker thread) is going away: do what close()
  // does, synchronously.
  Environment* environment = static_cast<Environment*>(arg);
  std::lock_guard<std::mutex> guard(environment->lifecycle_mutex_);
  environment->torn_down_ = true;
  environment->cleanup_hook_added_ = false;
  environment->ReleaseResources();
  environment->DestroyEnvironment();
  environment->state_ = State::kClosed;
}

// Added when opening starts and removed once closed, so that the hook also
// waits for an open or close running on the thread pool.
void Environment::AddCleanupHook(Napi::Env env) {
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  cleanup_hook_added_ = true;
}

void Environment::RemoveCleanupHook(Napi::Env env) {
  if (!cleanup_hook_added_) return;
  napi_remove_env_cleanup_hook(env, CleanupHook, this);
  cleanup_hook_added_ = false;
}

// put(db, key, value)
Napi::Value Environment::Put(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* db = DatabaseAt(env, info[0]);
  if (db != nullptr) WriteArguments(env, db, db, info[1], info[2]);
  return env.Undefined();
}

// del(db, key)
Napi::Value Environment::Del(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* db = DatabaseAt(env, info[0]);
  if (db != nullptr) WriteArguments(env, db, db, info[1], nullptr);
  return env.Undefined();
}

// get(db, key, valueAsBuffer, snapshot?, into?): the value, or undefined if
// the key is missing. With `into` (a Buffer), a Buffer value that fits is
// copied into it and its size returned instead: JS then makes the value's
// Buffer from its pool for a fraction of what a Buffer made here costs.
Napi::Value Environment::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReadView* view;
  if (!CheckOpen(env) || !ReadSnapshotArgument(env, info[3], &view)) return env.Undefined();
  void* db = DatabaseAt(env, info[0]);
  if (db == nullptr || !key_.Read(env, info[1], "Key")) return env.Undefined();
  void* result = ReadKey(env, db, key_, view);
  if (result == nullptr) return env.Undefined();
  bool as_buffer = info[2].As<Napi::Boolean>().Value();
  if (as_buffer && info[4].IsBuffer()) {
    Napi::Buffer<char> into = info[4].As<Napi::Buffer<char>>();
    int size = 0;
    const char* value = static_cast<const char*>(sp_getstring(result, "value", &size));
    if (value == nullptr) size = 0;
    if (static_cast<size_t>(size) <= into.Length()) {
      if (size > 0) memcpy(into.Data(), value, static_cast<size_t>(size));
      sp_destroy(result);
      return Napi::Number::New(env, size);
    }
  }
  return ValueOf(env, result, as_buffer);
}

template <typename Answer>
bool Environment::ReadKeys(const Napi::CallbackInfo& info, Answer answer) {
  Napi::Env env = info.Env();
  ReadView* view;
  if (!CheckOpen(env) || !ReadSnapshotArgument(env, info[2], &view)) return false;
  void* db = DatabaseAt(env, info[0]);
  if (db == nullptr) return false;
  if (!info[1].IsArray()) {
    ThrowTypeError(env, "keys must be an array");
    return false;
  }
  Napi::Array keys = info[1].As<Napi::Array>();
  uint32_t length = keys.Length();
  if (length > 1 && SchemaOf(db).single()) return ReadPrefetched(env, db, keys, view, answer);
  for (uint32_t i = 0; i < length; i++) {
    if (!key_.Read(env, keys.Get(i), "Key")) return false;
    void* result = ReadKey(env, db, key_, view);
    if (env.IsExceptionPending()) return false;
    answer(i, result);
    if (result != nullptr) sp_destroy(result);
  }
  return true;
}

// Every key's document is made first, then Sophia descends its in-memory
// indexes to 64 keys at once (sp_prefetch, patches/0007), so that the cache
// misses of one descent overlap those of the others; the reads of those
// keys follow while their paths are cached, then the next 64. Multi-part
// keys are read one at a time instead: their documents point at decoded
// parts that the next key overwrites.
template <typename Answer>
bool Environment::ReadPrefetched(Napi::Env env, void* db, Napi::Array keys, ReadView* view, Answer answer) {
  uint32_t length = keys.Length();
  // Getting a key from the array can run JS (a getter), which could call
  // back into this environment or free the bytes of a key taken before: so
  // every key is got first, and pointed at only once no JS can run. Nothing
  // here is a member, for the same reason.
  std::vector<napi_value> key_values(length);
  for (uint32_t i = 0; i < length; i++) {
    key_values[i] = keys.Get(i);
    if (env.IsExceptionPending()) return false;
  }
  std::vector<ByteView> key_views(length);
  std::vector<void*> documents;
  documents.reserve(length);
  auto destroy_from = [&](size_t first) {
    for (size_t i = first; i < documents.size(); i++) sp_destroy(documents[i]);
  };
  // sp_prefetch copies each key into its document, one after the other:
  // asked for first, all at once, the keys' bytes are in the cache by then.
  for (uint32_t i = 0; i < length; i++) {
    if (!key_views[i].Read(env, key_values[i], "Key")) return false;
    const char* data = key_views[i].data();
    __builtin_prefetch(data);
    __builtin_prefetch(data + key_views[i].size());
  }
  for (uint32_t i = 0; i < length; i++) {
    void* document = NewReadDocument(env, db, key_views[i], view);
    if (document == nullptr) {
      destroy_from(0);
      return false;
    }
    documents.push_back(document);
  }
  // All of the paths of a large getMany would not stay in the cache until
  // their reads.
  for (uint32_t first = 0; first < length; first += kPrefetchGroup) {
    uint32_t end = std::min(length, first + kPrefetchGroup);
    if (sp_prefetch(db, documents.data() + first, static_cast<int>(end - first)) != 0) {
      destroy_from(first);
      ThrowSophiaError(env, "cannot read");
      return false;
    }
    for (uint32_t i = first; i < end; i++) {
      void* result = ReadDocument(env, db, documents[i], key_views[i], view);
      if (env.IsExceptionPending()) {
        destroy_from(i + 1);
        return false;
      }
      answer(i, result);
      if (result != nullptr) sp_destroy(result);
    }
  }
  return true;
}

// getMany(db, keys, snapshot?): every answer packed into one Buffer, in
// order: [u32le size, value] for a key found, u32le 0xffffffff for one
// missing. One Buffer costs far less than a JS value per key. The answers
// are packed in a buffer of this call's own: reading a key can run JS (an
// array getter) that calls getMany() again.
Napi::Value Environment::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<char> packed;
  bool read = ReadKeys(info, [&](uint32_t, void* result) {
    if (result == nullptr) {
      AppendMissing(&packed);
      return;
    }
    int size = 0;
    const char* value = static_cast<const char*>(sp_getstring(result, "value", &size));
    AppendField(&packed, value == nullptr ? "" : value, value == nullptr ? 0 : static_cast<size_t>(size));
  });
  if (!read) return env.Undefined();
  return Napi::Buffer<char>::Copy(env, packed.empty() ? "" : packed.data(), packed.size());
}

// has(db, key, snapshot?)
Napi::Value Environment::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReadView* view;
  if (!CheckOpen(env) || !ReadSnapshotArgument(env, info[2], &view)) return env.Undefined();
  void* db = DatabaseAt(env, info[0]);
  if (db == nullptr || !key_.Read(env, info[1], "Key")) return env.Undefined();
  void* result = ReadKey(env, db, key_, view);
  if (result == nullptr) return env.IsExceptionPending() ? env.Undefined() : Napi::Boolean::New(env, false);
  sp_destroy(result);
  return Napi::Boolean::New(env, true);
}

// hasMany(db, keys, snapshot?)
Napi::Value Environment::HasMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array found = Napi::Array::New(env);
  bool read = ReadKeys(info, [&](uint32_t i, void* result) { found.Set(i, Napi::Boolean::New(env, result != nullptr)); });
  return read ? found.As<Napi::Value>() : env.Undefined();
}

// batch(db, frames, fields): a batch's frames and the fields left out of them
// (batch_frames.h), applied in one transaction.
//
// With plain keys the writes go to Sophia in key order (a stable sort, so
// that the last write to a key still wins): each write descends Sophia's
// in-memory index from the root, and in key order consecutive descents share
// their path, which stays in the caches. Random keys in batches of 1000 went
// in 12-17% faster at a million keys. The documents are all made first, in
// the batch's order, so that an invalid operation is reported as it would be
// in that order. Multi-part keys keep the batch's order: their documents
// point at decoded parts that the next key overwrites.
Napi::Value Environment::Batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* db = DatabaseAt(env, info[0]);
  if (db == nullptr) return env.Undefined();
  if (!info[1].IsBuffer() || !info[2].IsArray()) {
    ThrowTypeError(env, "batch() takes a Buffer of frames and an array of fields");
    return env.Undefined();
  }
  Napi::Buffer<char> frames = info[1].As<Napi::Buffer<char>>();
  Napi::Array fields = info[2].As<Napi::Array>();
  BatchFrameReader reader(frames.Data(), frames.Length());
  uint32_t next_field = 0;
  bool in_key_order = SchemaOf(db).single();
  void* transaction = sp_begin(sophia_env_);
  if (transaction == nullptr) {
    ThrowSophiaError(env, "cannot begin a transaction");
    return env.Undefined();
  }
  bool ok = true;
  while (ok && !reader.AtEnd()) {
    BatchFrame frame;
    if (!reader.Next(&frame)) {
      ThrowTypeError(env, "batch frames are malformed");
      ok = false;
      break;
    }
    void* document = nullptr;
    ok = BatchField(env, fields, &next_field, frame.key_inline, frame.key, frame.key_size, &key_, "Key") &&
         (!frame.put || BatchField(env, fields, &next_field, frame.value_inline, frame.value, frame.value_size,
                                   &value_, "Value")) &&
         (document = NewWriteDocument(env, db, key_, frame.put ? &value_ : nullptr)) != nullptr;
    if (!ok) break;
    if (!in_key_order) {
      ok = ApplyWrite(env, transaction, document, frame.put);
      continue;
    }
    key_.PinIn(&pinned_fields_);
    if (frame.put) value_.PinIn(&pinned_fields_);
    pending_writes_.push_back({document, key_.data(), key_.size(), frame.put});
  }
  if (ok && next_field != fields.Length()) {
    ThrowTypeError(env, "batch frames do not match their fields");
    ok = false;
  }
  if (ok) ok = ApplyInKeyOrder(env, transaction);
  DiscardPendingWrites();
  if (!ok) {
    sp_destroy(transaction);
    return env.Undefined();
  }
  Commit(env, transaction);
  return env.Undefined();
}

bool Environment::ApplyInKeyOrder(Napi::Env env, void* transaction) {
  auto by_key = [](const PendingWrite& a, const PendingWrite& b) {
    return CompareBytes(a.key, a.key_size, b.key, b.key_size) < 0;
  };
  if (!std::is_sorted(pending_writes_.begin(), pending_writes_.end(), by_key)) {
    std::stable_sort(pending_writes_.begin(), pending_writes_.end(), by_key);
  }
  size_t applied = 0;
  bool ok = true;
  while (ok && applied < pending_writes_.size()) {
    const PendingWrite& write = pending_writes_[applied++];
    ok = ApplyWrite(env, transaction, write.document, write.put);
  }
  pending_writes_.erase(pending_writes_.begin(), pending_writes_.begin() + applied);
  return ok;
}

void Environment::DiscardPendingWrites() {
  for (const PendingWrite& write : pending_writes_) sp_destroy(write.document);
  pending_writes_.clear();
  pinned_fields_.clear();
}

bool Environment::BatchField(Napi::Env env, Napi::Array fields, uint32_t* next_field, bool in_frame,
                             const char* data, uint32_t size, ByteView* field, const char* what) {
  if (in_frame) {
    field->Borrow(data, size);
    return true;
  }
  if (*next_field >= fields.Length()) {
    ThrowTypeError(env, "batch frames do not match their fields");
    return false;
  }
  // A failed Get() (the environment is shutting down) answers an empty value
  // with an exception pending.
  Napi::Value value = fields.Get((*next_field)++);
  return !value.IsEmpty() && field->Read(env, value, what);
}

Napi::Value Environment::SyncLog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  LogSyncWorker* worker = new LogSyncWorker(env, this);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value Environment::NewIterator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return AddonData::Of(env)->iterator_class.New({Value(), info[0], info[1], info[2], info[3], info[4], info[5]});
}

Napi::Value Environment::NewSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return AddonData::Of(env)->snapshot_class.New({Value()});
}

// configuration(): every configuration and statistics key of the
// environment and its databases, with its value as Sophia prints it.
Napi::Value Environment::Configuration(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  void* cursor = sp_getobject(sophia_env_, nullptr);
  if (cursor == nullptr) {
    ThrowSophiaError(env, "cannot read the configuration");
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  for (void* entry = sp_get(cursor, nullptr); entry != nullptr; entry = sp_get(cursor, entry)) {
    int key_size = 0;
    int value_size = 0;
    const char* key = static_cast<const char*>(sp_getstring(entry, "key", &key_size));
    const char* value = static_cast<const char*>(sp_getstring(entry, "value", &value_size));
    if (key == nullptr) continue;
    // Sizes count the terminating NUL.
    std::string name(key, strnlen(key, static_cast<size_t>(key_size)));
    std::string text = value == nullptr ? "" : std::string(value, strnlen(value, static_cast<size_t>(value_size)));
    result.Set(name, text);
  }
  sp_destroy(cursor);
  return result;
}

// command(path): runs one of Sophia's configuration functions, such as
// "log.gc" or "db.<name>.compaction.checkpoint" (which only ask Sophia's
// background threads for work, and return at once).
Napi::Value Environment::Command(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (!info[0].IsString()) {
    ThrowTypeError(env, "command(path) takes a string");
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (sp_setint(sophia_env_, path.c_str(), 0) != 0) ThrowSophiaError(env, "cannot run " + path);
  return env.Undefined();
}

Napi::Value Environment::NewTransaction(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return AddonData::Of(env)->transaction_class.New({Value()});
}

}  // namespace sophia_level
