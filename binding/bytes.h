#pragma once

#include <napi.h>

#include <cstddef>
#include <string>
#include <vector>

namespace sophia_level {

// Sophia's limit on a key (a key part of its default scheme).
constexpr size_t kMaxKeySize = 1024;
// Sophia takes field sizes as int; values up to 1 GiB were written, flushed to
// disk, replayed and read back in tests (see README "Limits").
constexpr size_t kMaxValueSize = 1024u * 1024u * 1024u;

// The bytes of a key or value passed in from JS: a string (UTF-8 encoded into
// our own storage) or a Uint8Array (borrowed, so only valid during the call).
class ByteView {
 public:
  // Returns false with a TypeError pending when the value is of another type.
  bool Read(Napi::Env env, napi_value value, const char* what);

  const char* data() const { return data_; }
  size_t size() const { return size_; }

  // Sophia reads a size of 0 as "use strlen()", so an empty field must point
  // at a NUL byte, never at arbitrary data or NULL.
  const char* field_data() const { return size_ == 0 ? "" : data_; }

 private:
  std::vector<char> storage_;
  const char* data_ = "";
  size_t size_ = 0;
};

// Buffer.compare() order: bytewise, a shorter prefix first.
int CompareBytes(const char* a, size_t a_size, const char* b, size_t b_size);

}  // namespace sophia_level
