#pragma once

#include <napi.h>

#include <memory>

#include "database.h"
#include "promise_worker.h"

namespace sophia_level {

// Opens the environment: creates or checks the directory, takes the lock and
// runs sp_open, which replays the write-ahead log.
class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, Database* database, OpenOptions options)
      : PromiseWorker(env, "sophia-level.open"), database_(database), options_(std::move(options)) {}

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  Database* database_;
  OpenOptions options_;
};

// Destroys the environment (joining Sophia's threads) and releases the lock.
class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, Database* database, std::unique_ptr<Napi::Promise::Deferred> deferred)
      : Napi::AsyncWorker(env, "sophia-level.close"), database_(database), deferred_(std::move(deferred)) {}

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Database* database_;
  std::unique_ptr<Napi::Promise::Deferred> deferred_;
};

}  // namespace sophia_level
