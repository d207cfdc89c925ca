#pragma once

#include <napi.h>

namespace sophia_level {

class Environment;
class ReadView;

// An explicit snapshot (db.snapshot()): a read view that reads and iterators
// can name with their `snapshot` option.
class Snapshot : public Napi::ObjectWrap<Snapshot> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // The snapshot behind a JS value, or nullptr if it is not one.
  static Snapshot* FromValue(Napi::Env env, Napi::Value value);

  explicit Snapshot(const Napi::CallbackInfo& info);
  ~Snapshot() override;

  // nullptr once closed.
  ReadView* view() const { return view_; }
  Environment* environment() const { return environment_; }
  // Called by the environment before its environment goes.
  void Detach();

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);

  Environment* environment_ = nullptr;
  Napi::ObjectReference environment_object_;
  ReadView* view_ = nullptr;
};

}  // namespace sophia_level
