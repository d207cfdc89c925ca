#pragma once

#include <cstddef>
#include <cstdint>

namespace sophia_level {

// A batch crosses into the binding as one Buffer of frames, one per
// operation, and an array of the fields left out of the frames, in order
// (packed-batch.ts writes both). Small keys and values are copied into their
// frame, so that most operations cost no call back into JS. A frame is a
// flags byte, the key's size and the value's size (u32le each, meaningful
// only for a field in the frame), then the bytes of the fields in the frame,
// key first.
constexpr uint8_t kFramePut = 1 << 0;
constexpr uint8_t kFrameKeyInline = 1 << 1;
constexpr uint8_t kFrameValueInline = 1 << 2;
constexpr size_t kFrameHeaderSize = 9;

struct BatchFrame {
  bool put;
  bool key_inline;
  bool value_inline;
  const char* key;
  uint32_t key_size;
  const char* value;
  uint32_t value_size;
};

class BatchFrameReader {
 public:
  BatchFrameReader(const char* data, size_t size) : next_(data), end_(data + size) {}

  // Reads the next frame; false if there is none or it runs past the end.
  bool Next(BatchFrame* frame) {
    if (static_cast<size_t>(end_ - next_) < kFrameHeaderSize) return false;
    uint8_t flags = static_cast<uint8_t>(next_[0]);
    frame->put = (flags & kFramePut) != 0;
    frame->key_inline = (flags & kFrameKeyInline) != 0;
    frame->value_inline = frame->put && (flags & kFrameValueInline) != 0;
    frame->key_size = ReadSize(next_ + 1);
    frame->value_size = ReadSize(next_ + 5);
    const char* field = next_ + kFrameHeaderSize;
    frame->key = field;
    if (frame->key_inline && !Skip(&field, frame->key_size)) return false;
    frame->value = field;
    if (frame->value_inline && !Skip(&field, frame->value_size)) return false;
    next_ = field;
    return true;
  }

  bool AtEnd() const { return next_ == end_; }

 private:
  static uint32_t ReadSize(const char* at) {
    const unsigned char* bytes = reinterpret_cast<const unsigned char*>(at);
    return static_cast<uint32_t>(bytes[0]) | (static_cast<uint32_t>(bytes[1]) << 8) |
           (static_cast<uint32_t>(bytes[2]) << 16) | (static_cast<uint32_t>(bytes[3]) << 24);
  }

  bool Skip(const char** field, uint32_t size) const {
    if (static_cast<size_t>(end_ - *field) < size) return false;
    *field += size;
    return true;
  }

  const char* next_;
  const char* end_;
};

}  // namespace sophia_level
