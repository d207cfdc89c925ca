#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sophia_level {

// How a database's documents hold keys, and whether its rows expire.
//
// The rest of the binding handles every key as one byte string, compared
// bytewise. A database with the default scheme stores exactly that string in
// its "key" field. A database with a multi-part key (keySchema) stores typed
// Sophia fields; its byte string is the canonical encoding of the parts,
// whose bytewise order is Sophia's order of the fields (key-schema.ts makes
// the same encoding in JS):
//   - u8..u64: the number big-endian, in 1, 2, 4 or 8 bytes; the _rev types
//     store its bitwise complement, so that they sort in reverse;
//   - string: the bytes with each 0x00 written 0x00 0xff, then 0x00 0x00, so
//     that a string sorts before its extensions and the next part is only
//     compared between equal strings.
// A byte string with fewer parts is not a key but can be a range bound: it
// sorts before every key it is a prefix of.
class Schema {
 public:
  enum class Type : uint8_t { kString, kU8, kU16, kU32, kU64 };

  struct Part {
    std::string name;
    Type type = Type::kString;
    bool reverse = false;
    // Bytes in the canonical encoding; 0 for strings.
    size_t width = 0;
    // The field's position in the database's scheme.
    size_t position = 0;
  };

  // A record as a batch read hands it over (sp_getbatch): its fields in
  // scheme order, pointing into Sophia's memory.
  struct Record {
    const void* const* fields;
    const int* sizes;
  };

  // A field as Sophia prints it under db.<name>.scheme.<field>.
  struct Field {
    std::string name;
    std::string options;
  };

  // Builds the schema from a database's fields (in declaration order, which
  // is their order in Sophia's records) and its expire setting; false with
  // *message if a field is not one this binding reads.
  bool Load(const std::vector<Field>& fields, uint32_t expire_seconds, std::string* message);

  // Whether keys are the single string field "key".
  bool single() const { return parts_.empty(); }

  // Sets a whole key on a document. `storage` keeps decoded strings alive
  // for Sophia, which keeps only pointers until the next read or write.
  // False with *code and *message set if the bytes are not a key.
  bool SetKey(void* document, const char* data, size_t size, std::string* storage, const char** code,
              std::string* message) const;

  // For a multi-part schema: sets the least key at or after the bytes and
  // tells whether it is the bytes themselves; false if every key is before
  // the bytes (nothing set).
  bool SetCeiling(void* document, const char* data, size_t size, std::string* storage, bool* exact) const;

  // A result document's key in the byte-string form, valid until the next
  // call of Key() on this schema.
  const char* Key(void* document, size_t* size) const;

  // Whether a result row has outlived the database's expire setting. Sophia
  // only removes such rows when compaction reaches them; reads must not
  // see them before.
  bool Expired(void* document) const;

  // The same three for a record of a batch read: AppendKey appends the key
  // in the byte-string form to *out.
  void AppendKey(const Record& record, std::string* out) const;
  void Value(const Record& record, const char** data, size_t* size) const;
  bool Expired(const Record& record) const;

 private:
  // A part's value while decoding: a string's bytes (into storage) or a
  // number in canonical (already complemented) form.
  struct Decoded {
    size_t offset = 0;
    size_t size = 0;
    uint64_t number = 0;
  };

  enum class Parse { kKey, kIncomplete, kMalformed, kPartTooLarge };

  Parse Decode(const char* data, size_t size, std::string* storage, std::vector<Decoded>* parts, size_t* end) const;
  // Moves `parts` (all of them decoded) to the least tuple after every key
  // that begins with parts[0..last]; false if there is none.
  bool Increment(std::vector<Decoded>* parts, size_t last, std::string* storage) const;
  bool Apply(void* document, const std::vector<Decoded>& parts, const std::string& storage) const;

  std::vector<Part> parts_;
  size_t key_position_ = 0;
  size_t value_position_ = 0;
  size_t timestamp_position_ = 0;
  bool has_timestamp_ = false;
  uint32_t expire_seconds_ = 0;
  mutable std::string key_;
};

}  // namespace sophia_level
