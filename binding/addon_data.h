#pragma once

#include <napi.h>

namespace sophia_level {

// Per-environment state, so that the addon loads in any number of worker
// threads at once.
struct AddonData {
  Napi::FunctionReference environment_class;
  Napi::FunctionReference iterator_class;
  Napi::FunctionReference snapshot_class;
  Napi::FunctionReference transaction_class;
  Napi::FunctionReference error_class;

  static AddonData* Of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace sophia_level
