#include "lifecycle_workers.h"

namespace sophia_level {

void OpenWorker::Execute() {
  std::lock_guard<std::mutex> guard(environment_->lifecycle_mutex_);
  std::string code;
  std::string message;
  if (!environment_->OpenEnvironment(options_, &code, &message)) Fail(code, message);
}

void OpenWorker::OnOK() {
  environment_->state_ = Environment::State::kOpen;
  const std::vector<uint32_t>& indexes = environment_->requested_indexes_;
  Napi::Array result = Napi::Array::New(Env(), indexes.size());
  for (uint32_t i = 0; i < indexes.size(); i++) result.Set(i, Napi::Number::New(Env(), indexes[i]));
  deferred_.Resolve(result);
}

void OpenWorker::OnError(const Napi::Error& error) {
  environment_->state_ = Environment::State::kClosed;
  environment_->RemoveCleanupHook(Env());
  environment_->Unref();
  PromiseWorker::OnError(error);
}

void CloseWorker::Execute() {
  std::lock_guard<std::mutex> guard(environment_->lifecycle_mutex_);
  environment_->DestroyEnvironment();
}

void CloseWorker::OnOK() {
  environment_->Closed();
  deferred_->Resolve(Env().Undefined());
}

}  // namespace sophia_level
