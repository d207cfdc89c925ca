#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bytes.h"

namespace sophia_level {

// The bounds of a range of keys, as the iterator options give them (gte wins
// over gt and lte over lt on the JS side), and the direction of a walk.
struct KeyRange {
  // Bits of the flags the JS side passes; keep in sync with iterator.ts.
  enum Flag : uint32_t {
    kReverse = 1 << 0,
    kKeys = 1 << 1,
    kValues = 1 << 2,
    kHasLower = 1 << 3,
    kLowerExclusive = 1 << 4,
    kHasUpper = 1 << 5,
    kUpperExclusive = 1 << 6,
  };

  uint32_t flags = 0;
  std::string lower;
  std::string upper;

  bool reverse() const { return flags & kReverse; }

  bool AboveLower(const char* key, size_t size) const {
    if (!(flags & kHasLower)) return true;
    int order = CompareBytes(key, size, lower.data(), lower.size());
    return order > 0 || (order == 0 && !(flags & kLowerExclusive));
  }

  bool BelowUpper(const char* key, size_t size) const {
    if (!(flags & kHasUpper)) return true;
    int order = CompareBytes(key, size, upper.data(), upper.size());
    return order < 0 || (order == 0 && !(flags & kUpperExclusive));
  }

  bool Contains(const char* key, size_t size) const { return AboveLower(key, size) && BelowUpper(key, size); }

  // Whether a walk in this range's direction has gone past its far end.
  bool PastEnd(const char* key, size_t size) const {
    return reverse() ? !AboveLower(key, size) : !BelowUpper(key, size);
  }
};

}  // namespace sophia_level
