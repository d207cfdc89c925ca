#include "bytes.h"

#include <cstring>

#include "errors.h"

namespace sophia_level {

bool ByteView::Read(Napi::Env env, napi_value value, const char* what) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_string) {
    size_t length = 0;
    if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
    storage_.resize(length + 1);
    if (napi_get_value_string_utf8(env, value, storage_.data(), storage_.size(), &length) != napi_ok) {
      return false;
    }
    data_ = storage_.data();
    size_ = length;
    return true;
  }
  bool is_typed_array = false;
  napi_is_typedarray(env, value, &is_typed_array);
  if (is_typed_array) {
    napi_typedarray_type array_type;
    size_t length = 0;
    void* bytes = nullptr;
    napi_get_typedarray_info(env, value, &array_type, &length, &bytes, nullptr, nullptr);
    if (array_type == napi_uint8_array) {
      data_ = length == 0 ? "" : static_cast<const char*>(bytes);
      size_ = length;
      return true;
    }
  }
  ThrowTypeError(env, std::string(what) + " must be a string, Buffer or Uint8Array");
  return false;
}

int CompareBytes(const char* a, size_t a_size, const char* b, size_t b_size) {
  size_t common = a_size < b_size ? a_size : b_size;
  int order = common == 0 ? 0 : memcmp(a, b, common);
  if (order != 0) return order;
  if (a_size == b_size) return 0;
  return a_size < b_size ? -1 : 1;
}

}  // namespace sophia_level
