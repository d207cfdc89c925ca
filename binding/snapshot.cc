#include "snapshot.h"

#include "addon_data.h"
#include "environment.h"
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

// new Snapshot(environment): only created by Environment#snapshot().
Snapshot::Snapshot(const Napi::CallbackInfo& info) : ObjectWrap<Snapshot>(info) {
  Napi::Env env = info.Env();
  napi_type_tag_object(env, info.This(), &kSnapshotTag);
  Environment* environment = Environment::FromValue(env, info[0]);
  if (environment == nullptr) {
    ThrowTypeError(env, "Snapshot must be created by a database");
    return;
  }
  if (!environment->CheckOpen(env)) return;
  view_ = ReadView::Open(environment);
  if (view_ == nullptr) {
    environment->ThrowSophiaError(env, "cannot open a snapshot");
    return;
  }
  environment_ = environment;
  environment_object_ = Napi::Persistent(info[0].As<Napi::Object>());
  environment->TrackSnapshot(this);
}

Snapshot::~Snapshot() { Detach(); }

void Snapshot::Detach() {
  if (environment_ == nullptr) return;
  environment_->ForgetSnapshot(this);
  view_->Release();
  view_ = nullptr;
  environment_ = nullptr;
  environment_object_.Reset();
}

Napi::Value Snapshot::Close(const Napi::CallbackInfo& info) {
  Detach();
  return info.Env().Undefined();
}

}  // namespace sophia_level
