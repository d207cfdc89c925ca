#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sophia_level {

// Many keys or values cross into JS in one Buffer: each field is a u32le size
// and its bytes (native.ts reads them back). A size of kMissing, with no
// bytes, stands for an absent value.
constexpr uint32_t kMissing = 0xffffffff;

inline void AppendSize(std::vector<char>* out, uint32_t size) {
  const char header[4] = {static_cast<char>(size & 0xff), static_cast<char>((size >> 8) & 0xff),
                          static_cast<char>((size >> 16) & 0xff), static_cast<char>((size >> 24) & 0xff)};
  out->insert(out->end(), header, header + 4);
}

inline void AppendField(std::vector<char>* out, const char* data, size_t size) {
  AppendSize(out, static_cast<uint32_t>(size));
  out->insert(out->end(), data, data + size);
}

inline void AppendMissing(std::vector<char>* out) { AppendSize(out, kMissing); }

}  // namespace sophia_level
