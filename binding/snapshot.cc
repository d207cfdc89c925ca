#include "snapshot.h"

#include "addon_data.h"
#include "database.h"
#include "errors.h"
#include "read_view.h"

namespace sophia_level {

namespace {
const napi_type_tag kSnapshotTag = {0x6b2f1c0e5a3d4e71ULL, 0x9c8b7a6f5e4d3c2bULL};
}

Napi::Function Snapshot::DefineClass(Napi::Env env) {
  return ObjectWrap<Snapshot>::DefineClass(env, "Snapshot", {InstanceMethod<&Snapshot::Close>("close")});
}

Snapshot* Snapshot::FromValue(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  bool tagged = false;
  napi_check_object_type_tag(env, value, &kSnapshotTag, &tagged);
  return tagged ? Snapshot::Unwrap(value.As<Napi::Object>()) : nullptr;
}

// new Snapshot(database): only created by Database#snapshot().
Snapshot::Snapshot(const Napi::CallbackInfo& info) : ObjectWrap<Snapshot>(info) {
  Napi::Env env = info.Env();
  napi_type_tag_object(env, info.This(), &kSnapshotTag);
  Database* database = Database::FromValue(env, info[0]);
  if (database == nullptr) {
    ThrowTypeError(env, "Snapshot must be created by a database");
    return;
  }
  if (!database->CheckOpen(env)) return;
  view_ = ReadView::Open(database);
  if (view_ == nullptr) {
    database->ThrowSophiaError(env, "cannot open a snapshot");
    return;
  }
  database_ = database;
  database_object_ = Napi::Persistent(info[0].As<Napi::Object>());
  database->TrackSnapshot(this);
}

Snapshot::~Snapshot() { Detach(); }

void Snapshot::Detach() {
  if (database_ == nullptr) return;
  database_->ForgetSnapshot(this);
  view_->Release();
  view_ = nullptr;
  database_ = nullptr;
  database_object_.Reset();
}

Napi::Value Snapshot::Close(const Napi::CallbackInfo& info) {
  Detach();
  return info.Env().Undefined();
}

}  // namespace sophia_level
