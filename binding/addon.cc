#include <napi.h>

#include "addon_data.h"
#include "environment.h"
#include "errors.h"
#include "iterator.h"
#include "snapshot.h"
#include "transaction.h"

namespace sophia_level {

namespace {

Napi::Value SetErrorClassExport(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) {
    ThrowTypeError(info.Env(), "setErrorClass() takes a constructor");
    return info.Env().Undefined();
  }
  SetErrorClass(info.Env(), info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  AddonData* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  Napi::Function environment_class = Environment::DefineClass(env);
  data->environment_class = Napi::Persistent(environment_class);
  data->iterator_class = Napi::Persistent(Iterator::DefineClass(env));
  data->snapshot_class = Napi::Persistent(Snapshot::DefineClass(env));
  data->transaction_class = Napi::Persistent(Transaction::DefineClass(env));
  exports.Set("Environment", environment_class);
  exports.Set("setErrorClass", Napi::Function::New<SetErrorClassExport>(env, "setErrorClass"));
  return exports;
}

}  // namespace sophia_level

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return sophia_level::Init(env, exports); }

NODE_API_MODULE(sophia_level, InitAddon)
