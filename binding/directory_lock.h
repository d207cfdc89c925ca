#pragma once

#include <string>

namespace sophia_level {

// An exclusive advisory lock on <location>/LOCK. Sophia takes no lock of its
// own, and two environments appending to one write-ahead log corrupt it.
// flock() locks belong to the open file description, so a second open in the
// same process is refused just like one in another process.
class DirectoryLock {
 public:
  DirectoryLock() = default;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock() { Unlock(); }

  enum class Result { kLocked, kHeldElsewhere, kFailed };
  // On kFailed, error() says why.
  Result Lock(const std::string& directory);
  void Unlock();
  bool held() const { return fd_ != -1; }

  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

}  // namespace sophia_level
