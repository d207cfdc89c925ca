#include "lifecycle_workers.h"

namespace sophia_level {

void OpenWorker::Execute() {
  std::lock_guard<std::mutex> guard(database_->lifecycle_mutex_);
  std::string code;
  std::string message;
  if (!database_->OpenEnvironment(options_, &code, &message)) Fail(code, message);
}

void OpenWorker::OnOK() {
  database_->state_ = Database::State::kOpen;
  PromiseWorker::OnOK();
}

void OpenWorker::OnError(const Napi::Error& error) {
  database_->state_ = Database::State::kClosed;
  database_->RemoveCleanupHook(Env());
  database_->Unref();
  PromiseWorker::OnError(error);
}

void CloseWorker::Execute() {
  std::lock_guard<std::mutex> guard(database_->lifecycle_mutex_);
  database_->DestroyEnvironment();
}

void CloseWorker::OnOK() {
  database_->Closed();
  deferred_->Resolve(Env().Undefined());
}

}  // namespace sophia_level
