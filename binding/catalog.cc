#include "catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace sophia_level {

namespace {

constexpr const char* kLegacyDatabase = "main";

std::string SystemError(const std::string& what, const std::string& path) {
  return "cannot " + what + " " + path + ": " + strerror(errno);
}

bool WriteDurably(const std::string& location, const std::vector<std::string>& names, std::string* error) {
  std::string path = location + "/databases";
  std::string temporary = path + ".tmp";
  std::string text;
  for (const std::string& name : names) text += name + "\n";
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1) {
    *error = SystemError("create", temporary);
    return false;
  }
  bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  if (!written) *error = SystemError("write", temporary);
  close(fd);
  if (!written) return false;
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    *error = SystemError("rename", temporary);
    return false;
  }
  int directory = open(location.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory == -1 || fsync(directory) != 0) {
    *error = SystemError("sync", location);
    if (directory != -1) close(directory);
    return false;
  }
  close(directory);
  return true;
}

}  // namespace

bool DatabaseCatalog::Resolve(const std::string& location, bool environment_exists,
                              const std::vector<std::string>& requested, std::vector<std::string>* names,
                              std::string* error) {
  names->clear();
  std::ifstream file(location + "/databases");
  bool listed = static_cast<bool>(file);
  if (listed) {
    for (std::string line; std::getline(file, line);) {
      if (!line.empty()) names->push_back(line);
    }
  } else if (environment_exists) {
    names->push_back(kLegacyDatabase);
  }
  size_t known = names->size();
  for (const std::string& name : requested) {
    if (std::find(names->begin(), names->end(), name) == names->end()) names->push_back(name);
  }
  // Written only when it changes, so that opening needs no free space.
  if (names->size() == known && listed) return true;
  return WriteDurably(location, *names, error);
}

}  // namespace sophia_level
