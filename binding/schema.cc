#include "schema.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "bytes.h"
#include "errors.h"
#include "sophia.h"

namespace sophia_level {

namespace {

constexpr const char* kValueField = "value";
constexpr const char* kTimestampField = "timestamp";

uint64_t MaxOf(size_t width) { return width == 8 ? UINT64_MAX : (uint64_t{1} << (8 * width)) - 1; }

bool ParseType(const std::string& token, Schema::Part* part) {
  static const struct {
    const char* name;
    Schema::Type type;
    size_t width;
  } kTypes[] = {{"string", Schema::Type::kString, 0}, {"u8", Schema::Type::kU8, 1}, {"u16", Schema::Type::kU16, 2},
                {"u32", Schema::Type::kU32, 4},       {"u64", Schema::Type::kU64, 8}};
  for (const auto& known : kTypes) {
    std::string name = known.name;
    if (token != name && !(known.width > 0 && token == name + "_rev")) continue;
    part->type = known.type;
    part->width = known.width;
    part->reverse = token != name;
    return true;
  }
  return false;
}

std::vector<std::string> Tokens(const std::string& options) {
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start <= options.size()) {
    size_t end = options.find(',', start);
    if (end == std::string::npos) end = options.size();
    if (end > start) tokens.push_back(options.substr(start, end - start));
    start = end + 1;
  }
  return tokens;
}

}  // namespace

bool Schema::Load(const std::vector<Field>& fields, uint32_t expire_seconds, std::string* message) {
  parts_.clear();
  has_timestamp_ = false;
  expire_seconds_ = expire_seconds;
  std::vector<std::pair<int, Part>> keyed;
  bool has_value = false;
  for (size_t index = 0; index < fields.size(); index++) {
    const Field& field = fields[index];
    Part part;
    part.name = field.name;
    part.position = index;
    int position = -1;
    bool typed = false;
    bool timestamp = false;
    for (const std::string& token : Tokens(field.options)) {
      if (ParseType(token, &part)) {
        typed = true;
      } else if (token.compare(0, 4, "key(") == 0 && token.back() == ')') {
        position = std::atoi(token.c_str() + 4);
      } else if (token == "timestamp" || token == "expire") {
        timestamp = true;
      } else {
        *message = "field '" + field.name + "' has options '" + field.options + "', which sophia-level does not read";
        return false;
      }
    }
    if (!typed) {
      *message = "field '" + field.name + "' has no type";
      return false;
    }
    if (position >= 0) {
      keyed.emplace_back(position, part);
    } else if (timestamp && field.name == kTimestampField && part.type == Type::kU32) {
      has_timestamp_ = true;
      timestamp_position_ = index;
    } else if (field.name == kValueField && part.type == Type::kString) {
      has_value = true;
      value_position_ = index;
    } else {
      *message = "field '" + field.name + "' (" + field.options + ") is not one sophia-level reads";
      return false;
    }
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < keyed.size(); i++) {
    if (keyed[i].first != static_cast<int>(i)) {
      *message = "key parts are not numbered 0 to " + std::to_string(keyed.size() - 1);
      return false;
    }
  }
  if (keyed.empty() || !has_value) {
    *message = "the scheme has no key or no 'value' field";
    return false;
  }
  bool single = keyed.size() == 1 && keyed[0].second.name == "key" && keyed[0].second.type == Type::kString;
  key_position_ = keyed[0].second.position;
  if (!single) {
    for (auto& entry : keyed) parts_.push_back(std::move(entry.second));
  }
  return true;
}

Schema::Parse Schema::Decode(const char* data, size_t size, std::string* storage, std::vector<Decoded>* parts,
                             size_t* end) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  size_t pos = 0;
  for (size_t i = 0; i < parts_.size(); i++) {
    const Part& part = parts_[i];
    Decoded& decoded = (*parts)[i];
    if (pos == size) {
      *end = i;
      return Parse::kIncomplete;
    }
    if (part.type != Type::kString) {
      if (size - pos < part.width) return Parse::kMalformed;
      for (size_t k = 0; k < part.width; k++) decoded.number = (decoded.number << 8) | bytes[pos + k];
      pos += part.width;
      continue;
    }
    decoded.offset = storage->size();
    bool terminated = false;
    while (pos < size && !terminated) {
      if (bytes[pos] != 0) {
        storage->push_back(static_cast<char>(bytes[pos++]));
      } else if (pos + 1 < size && bytes[pos + 1] == 0xff) {
        storage->push_back('\0');
        pos += 2;
      } else if (pos + 1 < size && bytes[pos + 1] == 0) {
        pos += 2;
        terminated = true;
      } else {
        return Parse::kMalformed;
      }
    }
    if (!terminated) return Parse::kMalformed;
    decoded.size = storage->size() - decoded.offset;
    if (decoded.size > kMaxKeySize) {
      *end = i;
      return Parse::kPartTooLarge;
    }
  }
  return pos == size ? Parse::kKey : Parse::kMalformed;
}

bool Schema::SetKey(void* document, const char* data, size_t size, std::string* storage, const char** code,
                    std::string* message) const {
  if (single()) {
    if (size > kMaxKeySize) {
      *code = kKeyTooLarge;
      *message = "Key is " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(kMaxKeySize) +
                 " bytes";
      return false;
    }
    if (sp_setstring(document, "key", size == 0 ? "" : data, static_cast<int>(size)) == 0) return true;
    *code = kSophiaError;
    *message = "cannot set the key";
    return false;
  }
  storage->clear();
  std::vector<Decoded> parts(parts_.size());
  size_t end = 0;
  switch (Decode(data, size, storage, &parts, &end)) {
    case Parse::kKey:
      break;
    case Parse::kIncomplete:
      *code = "LEVEL_INVALID_KEY";
      *message = "Key has " + std::to_string(end) + " of the " + std::to_string(parts_.size()) +
                 " parts of the database's keySchema";
      return false;
    case Parse::kPartTooLarge:
      *code = kKeyTooLarge;
      *message = "Key part '" + parts_[end].name + "' is " + std::to_string(parts[end].size) +
                 " bytes, more than the limit of " + std::to_string(kMaxKeySize) + " bytes";
      return false;
    case Parse::kMalformed:
      *code = "LEVEL_INVALID_KEY";
      *message = "Key is not in the encoding of the database's keySchema (a key given with another keyEncoding?)";
      return false;
  }
  if (Apply(document, parts, *storage)) return true;
  *code = kSophiaError;
  *message = "cannot set the key";
  return false;
}

bool Schema::SetCeiling(void* document, const char* data, size_t size, std::string* storage, bool* exact) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  storage->clear();
  // Parts not reached keep their least value: the empty string, or 0 in
  // canonical form.
  std::vector<Decoded> parts(parts_.size());
  *exact = false;
  size_t pos = 0;
  for (size_t i = 0; i < parts_.size(); i++) {
    const Part& part = parts_[i];
    Decoded& decoded = parts[i];
    if (pos == size) return Apply(document, parts, *storage);
    if (part.type != Type::kString) {
      // Missing trailing bytes read as 0: no key lies between the bytes and
      // that number.
      for (size_t k = 0; k < part.width; k++) decoded.number = (decoded.number << 8) | (pos + k < size ? bytes[pos + k] : 0);
      if (size - pos < part.width) return Apply(document, parts, *storage);
      pos += part.width;
      continue;
    }
    decoded.offset = storage->size();
    bool terminated = false;
    bool past = false;
    while (pos < size && !terminated && !past) {
      if (bytes[pos] != 0) {
        storage->push_back(static_cast<char>(bytes[pos++]));
      } else if (pos + 1 == size) {
        // A lone 0x00: the bytes stop before the terminator, which sorts
        // before any more of the string.
        pos++;
      } else if (bytes[pos + 1] == 0xff) {
        storage->push_back('\0');
        pos += 2;
      } else if (bytes[pos + 1] == 0) {
        pos += 2;
        terminated = true;
      } else {
        // 0x00 then 0x01..0xfe: after this string ended, before it
        // continues with 0x00; the least string there is this one plus 0x00.
        storage->push_back('\0');
        past = true;
      }
    }
    decoded.size = storage->size() - decoded.offset;
    if (decoded.size > kMaxKeySize) {
      // No key has so long a part: go past every key whose part starts with
      // the longest part a key can have.
      decoded.size = kMaxKeySize;
      return Increment(&parts, i, storage) && Apply(document, parts, *storage);
    }
    if (!terminated) return Apply(document, parts, *storage);
  }
  if (pos == size) {
    *exact = true;
    return Apply(document, parts, *storage);
  }
  // A whole key followed by more bytes: that key sorts before them.
  return Increment(&parts, parts_.size() - 1, storage) && Apply(document, parts, *storage);
}

bool Schema::Increment(std::vector<Decoded>* parts, size_t last, std::string* storage) const {
  for (size_t i = last + 1; i-- > 0;) {
    const Part& part = parts_[i];
    Decoded& decoded = (*parts)[i];
    bool moved = false;
    if (part.type != Type::kString) {
      if (decoded.number < MaxOf(part.width)) {
        decoded.number++;
        moved = true;
      }
    } else {
      // The part moves to the end of the storage, where it can grow: the
      // parts after it are reset below.
      std::string value = storage->substr(decoded.offset, decoded.size);
      if (value.size() < kMaxKeySize) {
        value.push_back('\0');
        moved = true;
      } else {
        size_t keep = value.find_last_not_of('\xff');
        if (keep != std::string::npos) {
          value.resize(keep + 1);
          value[keep] = static_cast<char>(static_cast<unsigned char>(value[keep]) + 1);
          moved = true;
        }
      }
      decoded.offset = storage->size();
      decoded.size = value.size();
      storage->append(value);
    }
    if (moved) {
      for (size_t k = i + 1; k < parts->size(); k++) (*parts)[k] = Decoded();
      return true;
    }
  }
  return false;
}

bool Schema::Apply(void* document, const std::vector<Decoded>& parts, const std::string& storage) const {
  for (size_t i = 0; i < parts_.size(); i++) {
    const Part& part = parts_[i];
    const Decoded& decoded = parts[i];
    int rc;
    if (part.type == Type::kString) {
      rc = sp_setstring(document, part.name.c_str(), decoded.size == 0 ? "" : storage.data() + decoded.offset,
                        static_cast<int>(decoded.size));
    } else {
      uint64_t number = part.reverse ? ~decoded.number & MaxOf(part.width) : decoded.number;
      rc = sp_setint(document, part.name.c_str(), static_cast<int64_t>(number));
    }
    if (rc != 0) return false;
  }
  return true;
}

const char* Schema::Key(void* document, size_t* size) const {
  int length = 0;
  if (single()) {
    const char* data = static_cast<const char*>(sp_getstring(document, "key", &length));
    *size = data == nullptr ? 0 : static_cast<size_t>(length);
    return data == nullptr ? "" : data;
  }
  key_.clear();
  for (const Part& part : parts_) {
    if (part.type == Type::kString) {
      const char* data = static_cast<const char*>(sp_getstring(document, part.name.c_str(), &length));
      for (int k = 0; data != nullptr && k < length; k++) {
        key_.push_back(data[k]);
        if (data[k] == '\0') key_.push_back('\xff');
      }
      key_.append(2, '\0');
      continue;
    }
    uint64_t number = static_cast<uint64_t>(sp_getint(document, part.name.c_str())) & MaxOf(part.width);
    if (part.reverse) number = ~number & MaxOf(part.width);
    for (size_t k = part.width; k-- > 0;) key_.push_back(static_cast<char>((number >> (8 * k)) & 0xff));
  }
  *size = key_.size();
  return key_.data();
}

bool Schema::Expired(void* document) const {
  if (expire_seconds_ == 0 || !has_timestamp_) return false;
  int64_t written = static_cast<uint32_t>(sp_getint(document, kTimestampField));
  return static_cast<int64_t>(time(nullptr)) - written >= expire_seconds_;
}

void Schema::AppendKey(const Record& record, std::string* out) const {
  if (single()) {
    out->append(static_cast<const char*>(record.fields[key_position_]), static_cast<size_t>(record.sizes[key_position_]));
    return;
  }
  for (const Part& part : parts_) {
    const char* data = static_cast<const char*>(record.fields[part.position]);
    if (part.type == Type::kString) {
      for (int k = 0; k < record.sizes[part.position]; k++) {
        out->push_back(data[k]);
        if (data[k] == '\0') out->push_back('\xff');
      }
      out->append(2, '\0');
      continue;
    }
    // Sophia keeps numbers in the machine's byte order, at their width.
    uint64_t number = 0;
    if (part.width == 1) {
      number = static_cast<uint8_t>(data[0]);
    } else if (part.width == 2) {
      uint16_t value;
      memcpy(&value, data, sizeof value);
      number = value;
    } else if (part.width == 4) {
      uint32_t value;
      memcpy(&value, data, sizeof value);
      number = value;
    } else {
      memcpy(&number, data, sizeof number);
    }
    if (part.reverse) number = ~number & MaxOf(part.width);
    for (size_t k = part.width; k-- > 0;) out->push_back(static_cast<char>((number >> (8 * k)) & 0xff));
  }
}

void Schema::Value(const Record& record, const char** data, size_t* size) const {
  *data = static_cast<const char*>(record.fields[value_position_]);
  *size = static_cast<size_t>(record.sizes[value_position_]);
}

bool Schema::Expired(const Record& record) const {
  if (expire_seconds_ == 0 || !has_timestamp_) return false;
  uint32_t written;
  memcpy(&written, record.fields[timestamp_position_], sizeof written);
  return static_cast<int64_t>(time(nullptr)) - written >= expire_seconds_;
}

}  // namespace sophia_level
