#include "directory_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>

namespace sophia_level {

DirectoryLock::Result DirectoryLock::Lock(const std::string& directory) {
  std::string path = directory + "/LOCK";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd == -1) {
    error_ = "cannot open " + path + ": " + strerror(errno);
    return Result::kFailed;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
    int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) return Result::kHeldElsewhere;
    error_ = "cannot lock " + path + ": " + strerror(error);
    return Result::kFailed;
  }
  fd_ = fd;
  return Result::kLocked;
}

void DirectoryLock::Unlock() {
  if (fd_ == -1) return;
  close(fd_);
  fd_ = -1;
}

}  // namespace sophia_level
