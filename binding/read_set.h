#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "key_range.h"

namespace sophia_level {

class Environment;

// What a transaction has read from committed data: point reads, and the
// stretches of key ranges its iterators went through, each summarised by a
// hash of what was seen. At commit, everything is read again from the latest
// committed data: if every read would give the same answer, the transaction
// can be placed at its commit point in a serial order, which is what makes
// transactions serializable (Sophia's own tracking covers write-write
// conflicts, but not ranges nor reads after a transaction's last write).
class ReadSet {
 public:
  // A 64-bit FNV-1a hash over length-prefixed fields.
  class Hash {
   public:
    void Add(const char* data, size_t size);
    void AddAbsent();
    uint64_t value() const { return value_; }

   private:
    void Mix(const unsigned char* data, size_t size);
    uint64_t value_ = 1469598103934665603ULL;
  };

  // The range walked (its far side cut at the last key handed out, unless the
  // walk reached the end) and the hash of the committed entries seen in it.
  struct Region {
    void* db;
    KeyRange range;
    uint64_t hash;
  };

  void AddPoint(void* db, const char* key, size_t size, uint64_t hash) {
    points_.push_back({db, std::string(key, size), hash});
  }
  void AddRegion(Region region) { regions_.push_back(std::move(region)); }

  // Hash of a point read's answer: the value, or absence.
  static uint64_t HashOf(const char* value, size_t size, bool found);

  // False if any read would now give another answer; false too with an error
  // pending if Sophia fails.
  bool StillValid(Napi::Env env, Environment* environment) const;

 private:
  struct Point {
    void* db;
    std::string key;
    uint64_t hash;
  };

  std::vector<Point> points_;
  std::vector<Region> regions_;
};

}  // namespace sophia_level
