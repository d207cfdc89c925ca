#pragma once

#include <napi.h>

#include <string>

#include "errors.h"

namespace sophia_level {

// Thread-pool work whose outcome settles a promise. Execute() runs off the JS
// thread and must not touch JS values; failures carry a code.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Fail(const std::string& code, const std::string& message) {
    code_ = code;
    SetError(message);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override {
    deferred_.Reject(CodeError(Env(), code_.empty() ? kSophiaError : code_.c_str(), error.Message()).Value());
  }

  Napi::Promise::Deferred deferred_;

 private:
  std::string code_;
};

}  // namespace sophia_level
