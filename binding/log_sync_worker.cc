#include "log_sync_worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "database.h"

namespace sophia_level {

namespace {

bool EndsWith(const std::string& text, const char* suffix) {
  size_t length = strlen(suffix);
  return text.size() >= length && text.compare(text.size() - length, length, suffix) == 0;
}

}  // namespace

LogSyncWorker::LogSyncWorker(Napi::Env env, Database* database)
    : PromiseWorker(env, "sophia-level.sync"), database_(database), directory_(database->log_directory()) {
  database_->WorkStarted();
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
      // Sophia removes log files whose data has reached the database files.
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
  database_->WorkFinished(Env());
}

void LogSyncWorker::OnError(const Napi::Error& error) {
  PromiseWorker::OnError(error);
  database_->WorkFinished(Env());
}

}  // namespace sophia_level
