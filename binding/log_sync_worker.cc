#include "log_sync_worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "environment.h"

namespace sophia_level {

namespace {

bool EndsWith(const std::string& text, const char* suffix) {
  size_t length = strlen(suffix);
  return text.size() >= length && text.compare(text.size() - length, length, suffix) == 0;
}

}  // namespace

LogSyncWorker::LogSyncWorker(Napi::Env env, Environment* environment)
    : PromiseWorker(env, "sophia-level.sync"), environment_(environment), directory_(environment->log_directory()) {
  environment_->WorkStarted();
}

void LogSyncWorker::Execute() {
  DIR* directory = opendir(directory_.c_str());
  if (directory == nullptr) {
    Fail("LEVEL_IO_ERROR", "cannot open " + directory_ + ": " + strerror(errno));
    return;
  }
  while (struct dirent* entry = readdir(directory)) {
    std::string name = entry->d_name;
    if (!EndsWith(name, ".log")) continue;
    std::string path = directory_ + "/" + name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
      // Sophia removes log files whose data has reached the environment files.
      if (errno == ENOENT) continue;
      Fail("LEVEL_IO_ERROR", "cannot open " + path + ": " + strerror(errno));
      break;
    }
    int rc = fdatasync(fd);
    int error = errno;
    close(fd);
    if (rc != 0) {
      Fail("LEVEL_IO_ERROR", "cannot sync " + path + ": " + strerror(error));
      break;
    }
  }
  closedir(directory);
}

void LogSyncWorker::OnOK() {
  PromiseWorker::OnOK();
  environment_->WorkFinished(Env());
}

void LogSyncWorker::OnError(const Napi::Error& error) {
  PromiseWorker::OnError(error);
  environment_->WorkFinished(Env());
}

}  // namespace sophia_level
