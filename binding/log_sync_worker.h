#pragma once

#include <napi.h>

#include <string>

#include "promise_worker.h"

namespace sophia_level {

class Environment;

// Makes what is in the write-ahead log durable (fdatasync), for writes made
// with `sync: true`. Sophia writes a commit to the log before it returns, but
// syncs only when told to for the whole environment (log.sync). All log files
// are synced, not only the newest: a rotation may have started a new file
// since the write, and Sophia syncs the old one only after switching.
class LogSyncWorker : public PromiseWorker {
 public:
  LogSyncWorker(Napi::Env env, Environment* environment);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  Environment* environment_;
  std::string directory_;
};

}  // namespace sophia_level
