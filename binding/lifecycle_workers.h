#pragma once

#include <napi.h>

#include <memory>

#include "environment.h"
#include "promise_worker.h"

namespace sophia_level {

// Opens the environment: creates or checks the directory, takes the lock and
// runs sp_open, which replays the write-ahead log.
class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, Environment* environment, OpenOptions options)
      : PromiseWorker(env, "sophia-level.open"), environment_(environment), options_(std::move(options)) {}

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  Environment* environment_;
  OpenOptions options_;
};

// Destroys the environment (joining Sophia's threads) and releases the lock.
class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, Environment* environment, std::unique_ptr<Napi::Promise::Deferred> deferred)
      : Napi::AsyncWorker(env, "sophia-level.close"), environment_(environment), deferred_(std::move(deferred)) {}

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Environment* environment_;
  std::unique_ptr<Napi::Promise::Deferred> deferred_;
};

}  // namespace sophia_level
