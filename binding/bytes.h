#pragma once

#include <napi.h>

#include <cstddef>
#include <string>
#include <vector>

namespace sophia_level {

// Sophia's limit on a key (a key part of its default scheme).
constexpr size_t kMaxKeySize = 1024;
// Sophia takes field sizes as a C int, and stores a value over its configured
// limit as empty, so we set the limit and check against it ourselves. 2047 MiB
// is the largest size written, replayed from the log, flushed to a node file
// and read back intact in our trials.
constexpr size_t kMaxValueSize = 2047u * 1024u * 1024u;

// The bytes of a key or value passed in from JS: a string (UTF-8 encoded into
// our own storage) or a Uint8Array (borrowed, so only valid during the call).
class ByteView {
 public:
  // Returns false with a TypeError pending when the value is of another type.
  bool Read(Napi::Env env, napi_value value, const char* what);
  // Views `size` bytes at `data`, which must outlive the view's use.
  void Borrow(const char* data, size_t size) {
    data_ = size == 0 ? "" : data;
    size_ = size;
  }
  // Hands bytes of our own (a string's) to `pins`, so that data() stays valid
  // after the next Read(), for as long as `pins` keeps them.
  void PinIn(std::vector<std::vector<char>>* pins) {
    if (size_ != 0 && data_ == storage_.data()) pins->push_back(std::move(storage_));
  }

  void Point(const char* data, size_t size) { data_ = size == 0 ? "" : data; size_ = size; }
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
