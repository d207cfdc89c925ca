#include "read_set.h"

#include "cursor_walk.h"
#include "environment.h"
#include "read_view.h"
#include "sophia.h"

namespace sophia_level {

namespace {

// A commit re-reads every range its transaction read: in big batches.
constexpr size_t kVerifyBatchEntries = 1024;
constexpr size_t kVerifyBatchBytes = 1024 * 1024;

}  // namespace

void ReadSet::Hash::Mix(const unsigned char* data, size_t size) {
  for (size_t i = 0; i < size; i++) {
    value_ ^= data[i];
    value_ *= 1099511628211ULL;
  }
}

void ReadSet::Hash::Add(const char* data, size_t size) {
  const unsigned char length[4] = {static_cast<unsigned char>(size & 0xff), static_cast<unsigned char>((size >> 8) & 0xff),
                                   static_cast<unsigned char>((size >> 16) & 0xff),
                                   static_cast<unsigned char>((size >> 24) & 0xff)};
  Mix(length, 4);
  Mix(reinterpret_cast<const unsigned char*>(data), size);
}

void ReadSet::Hash::AddAbsent() {
  const unsigned char marker[5] = {0xff, 0xff, 0xff, 0xff, 0x00};
  Mix(marker, 5);
}

uint64_t ReadSet::HashOf(const char* value, size_t size, bool found) {
  Hash hash;
  if (found) {
    hash.Add(value, size);
  } else {
    hash.AddAbsent();
  }
  return hash.value();
}

bool ReadSet::StillValid(Napi::Env env, Environment* environment) const {
  for (const Point& point : points_) {
    void* document = environment->NewKeyDocument(env, point.db, point.key.data(), point.key.size());
    if (document == nullptr) return false;
    void* result = sp_get(point.db, document);
    uint64_t hash;
    if (result == nullptr || environment->SchemaOf(point.db).Expired(result)) {
      if (result == nullptr && environment->FailedSinceLastCheck(env, "cannot read")) return false;
      if (result != nullptr) sp_destroy(result);
      hash = HashOf(nullptr, 0, false);
    } else {
      int size = 0;
      const char* value = static_cast<const char*>(sp_getstring(result, "value", &size));
      hash = HashOf(value, static_cast<size_t>(size), true);
      sp_destroy(result);
    }
    if (hash != point.hash) return false;
  }
  if (regions_.empty()) return true;
  ReadView* latest = ReadView::Open(environment);
  if (latest == nullptr) {
    environment->ThrowSophiaError(env, "cannot open a cursor");
    return false;
  }
  bool valid = true;
  for (const Region& region : regions_) {
    CursorWalk walk(environment, region.db, latest, &region.range, true);
    if (!walk.Start(env)) {
      valid = false;
      break;
    }
    walk.Hint(kVerifyBatchEntries, kVerifyBatchBytes);
    Hash hash;
    CursorWalk::Entry entry;
    while (walk.Step(env, &entry)) {
      hash.Add(entry.key, entry.key_size);
      hash.Add(entry.value, entry.value_size);
    }
    if (env.IsExceptionPending() || hash.value() != region.hash) {
      valid = false;
      break;
    }
  }
  latest->Release();
  return valid;
}

}  // namespace sophia_level
