#include "iterator.h"

#include <algorithm>

#include "bytes.h"
#include "environment.h"
#include "errors.h"
#include "packed.h"
#include "read_view.h"
#include "sophia.h"
#include "transaction.h"

namespace sophia_level {

namespace {

// A batch from Sophia holds at most this much (nextv's byte budget is
// Infinity for all()); the rest comes in the next batch.
constexpr double kMaxBatchBytes = 4 * 1024 * 1024;

}  // namespace

Napi::Function Iterator::DefineClass(Napi::Env env) {
  return ObjectWrap<Iterator>::DefineClass(env, "Iterator",
                                           {
                                               InstanceMethod<&Iterator::NextV>("nextv"),
                                               InstanceMethod<&Iterator::Seek>("seek"),
                                               InstanceMethod<&Iterator::DeleteNext>("deleteNext"),
                                               InstanceMethod<&Iterator::Close>("close"),
                                           });
}

Iterator::Iterator(const Napi::CallbackInfo& info) : ObjectWrap<Iterator>(info) {
  Napi::Env env = info.Env();
  Environment* environment = Environment::FromValue(env, info[0]);
  if (environment == nullptr) {
    ThrowTypeError(env, "Iterator must be created by a database");
    return;
  }
  if (!environment->CheckOpen(env)) return;
  db_ = environment->DatabaseAt(env, info[1]);
  if (db_ == nullptr) return;
  range_.flags = info[2].As<Napi::Number>().Uint32Value();
  ByteView bound;
  if (range_.flags & KeyRange::kHasLower) {
    if (!bound.Read(env, info[3], "A range bound")) return;
    range_.lower.assign(bound.data(), bound.size());
  }
  if (range_.flags & KeyRange::kHasUpper) {
    if (!bound.Read(env, info[4], "A range bound")) return;
    range_.upper.assign(bound.data(), bound.size());
  }
  ReadView* snapshot_view;
  if (!environment->ReadSnapshotArgument(env, info[5], &snapshot_view)) return;
  Transaction* transaction = nullptr;
  if (!info[6].IsUndefined()) {
    if (snapshot_view != nullptr) {
      ThrowTypeError(env, "The snapshot and transaction options cannot be combined");
      return;
    }
    transaction = Transaction::FromValue(env, info[6], environment);
    if (transaction == nullptr) return;
    snapshot_view = transaction->view();
  }
  if (snapshot_view == nullptr) {
    view_ = ReadView::Open(environment);
    if (view_ == nullptr) {
      environment->ThrowSophiaError(env, "cannot open a cursor");
      return;
    }
  } else {
    view_ = snapshot_view;
    view_->Retain();
  }
  environment_ = environment;
  environment_object_ = Napi::Persistent(info[0].As<Napi::Object>());
  environment->TrackIterator(this);
  if (transaction != nullptr) {
    transaction_ = transaction;
    transaction_object_ = Napi::Persistent(info[6].As<Napi::Object>());
    transaction->TrackIterator(this);
    for (const auto& write : transaction->writes()) {
      const std::string& key = write.first.second;
      if (write.first.first == db_ && range_.Contains(key.data(), key.size())) overlay_.emplace_back(key, write.second);
    }
    if (range_.reverse()) std::reverse(overlay_.begin(), overlay_.end());
  }
  // A transaction's iterator hashes the values it reads, even when it hands
  // out keys only.
  bool values = (range_.flags & KeyRange::kValues) || transaction_ != nullptr;
  walk_.emplace(environment, db_, view_, &range_, values);
  if (walk_->Start(env) && transaction_ != nullptr) StartRegion(nullptr, 0, true);
}

Iterator::~Iterator() { Detach(); }

void Iterator::Detach() {
  if (environment_ == nullptr) return;
  if (transaction_ != nullptr) {
    FinishRegion(false);
    transaction_->ForgetIterator(this);
    transaction_ = nullptr;
    transaction_object_.Reset();
  }
  has_pending_ = false;
  walk_.reset();
  // The JS object, and so this one, lives on until garbage collection
  // finalises it, possibly much later: give its buffers back now.
  std::vector<char>().swap(out_);
  decltype(overlay_)().swap(overlay_);
  overlay_position_ = 0;
  range_ = KeyRange();
  region_ = KeyRange();
  std::string().swap(region_end_);
  view_->Release();
  view_ = nullptr;
  environment_->ForgetIterator(this);
  environment_ = nullptr;
  environment_object_.Reset();
}

bool Iterator::CheckUsable(Napi::Env env) {
  if (environment_ != nullptr) return true;
  ThrowCodeError(env, "LEVEL_ITERATOR_NOT_OPEN", "Iterator is not open");
  return false;
}

bool Iterator::Next(Napi::Env env, Entry* entry) {
  if (transaction_ != nullptr) return NextMerged(env, entry);
  return walk_->Step(env, entry);
}

bool Iterator::NextMerged(Napi::Env env, Entry* entry) {
  while (true) {
    if (!has_pending_ && !walk_->ended()) {
      has_pending_ = walk_->Step(env, &pending_);
      if (!has_pending_ && env.IsExceptionPending()) return false;
    }
    bool has_own = overlay_position_ < overlay_.size();
    if (!has_pending_ && !has_own) {
      FinishRegion(true);
      return false;
    }
    // Negative: the committed entry comes first; positive: the transaction's
    // own write; zero: the own write replaces the committed entry.
    int order;
    if (!has_pending_) {
      order = 1;
    } else if (!has_own) {
      order = -1;
    } else {
      const std::string& own = overlay_[overlay_position_].first;
      order = CompareBytes(pending_.key, pending_.key_size, own.data(), own.size());
      if (range_.reverse()) order = -order;
    }
    if (order < 0) {
      // Still owned by the walk until its next step.
      has_pending_ = false;
      ConsumeCommitted(pending_);
      *entry = pending_;
      RecordEmitted(entry->key, entry->key_size);
      return true;
    }
    if (order == 0) {
      ConsumeCommitted(pending_);
      has_pending_ = false;
    }
    const auto& own = overlay_[overlay_position_++];
    if (!own.second.has_value()) continue;
    entry->key = own.first.data();
    entry->key_size = own.first.size();
    entry->value = own.second->data();
    entry->value_size = own.second->size();
    RecordEmitted(entry->key, entry->key_size);
    return true;
  }
}

void Iterator::StartRegion(const char* from, size_t size, bool from_range_start) {
  region_ = range_;
  if (!from_range_start) {
    if (range_.reverse()) {
      region_.upper.assign(from, size);
      region_.flags = (region_.flags | KeyRange::kHasUpper) & ~KeyRange::kUpperExclusive;
    } else {
      region_.lower.assign(from, size);
      region_.flags = (region_.flags | KeyRange::kHasLower) & ~KeyRange::kLowerExclusive;
    }
  }
  region_hash_ = ReadSet::Hash();
  region_emitted_ = false;
  region_open_ = true;
}

void Iterator::ConsumeCommitted(const Entry& committed) {
  region_hash_.Add(committed.key, committed.key_size);
  region_hash_.Add(committed.value, committed.value_size);
}

void Iterator::RecordEmitted(const char* key, size_t size) {
  region_end_.assign(key, size);
  region_hash_at_last_emit_ = region_hash_.value();
  region_emitted_ = true;
}

void Iterator::FinishRegion(bool reached_end) {
  if (!region_open_) return;
  region_open_ = false;
  if (reached_end) {
    transaction_->read_set().AddRegion({db_, region_, region_hash_.value()});
    return;
  }
  // Nothing handed out: nothing learned about the committed data.
  if (!region_emitted_) return;
  ReadSet::Region region{db_, region_, region_hash_at_last_emit_};
  if (range_.reverse()) {
    region.range.lower = region_end_;
    region.range.flags = (region.range.flags | KeyRange::kHasLower) & ~KeyRange::kLowerExclusive;
  } else {
    region.range.upper = region_end_;
    region.range.flags = (region.range.flags | KeyRange::kHasUpper) & ~KeyRange::kUpperExclusive;
  }
  transaction_->read_set().AddRegion(std::move(region));
}

void Iterator::PositionOverlay(const char* from, size_t size, bool from_range_start) {
  overlay_position_ = 0;
  if (from_range_start) return;
  bool reverse = range_.reverse();
  while (overlay_position_ < overlay_.size()) {
    const std::string& key = overlay_[overlay_position_].first;
    int order = CompareBytes(key.data(), key.size(), from, size);
    if (reverse ? order <= 0 : order >= 0) break;
    overlay_position_++;
  }
}

Napi::Value Iterator::NextV(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  uint32_t count = info[0].As<Napi::Number>().Uint32Value();
  // A double, as JS passes Infinity for "no bound".
  double budget = info[1].As<Napi::Number>().DoubleValue();
  out_.clear();
  walk_->Hint(count, static_cast<size_t>(std::min(budget, kMaxBatchBytes)));
  uint32_t produced = 0;
  Entry entry;
  while (produced < count && Next(env, &entry)) {
    if (range_.flags & KeyRange::kKeys) AppendField(&out_, entry.key, entry.key_size);
    if (range_.flags & KeyRange::kValues) AppendField(&out_, entry.value, entry.value_size);
    produced++;
    if (static_cast<double>(out_.size()) >= budget) break;
  }
  if (env.IsExceptionPending() || produced == 0) return env.Undefined();
  return Napi::Buffer<char>::Copy(env, out_.data(), out_.size());
}

Napi::Value Iterator::Seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  ByteView target;
  if (!target.Read(env, info[0], "The seek target")) return env.Undefined();
  if (transaction_ != nullptr) FinishRegion(false);
  has_pending_ = false;
  if (!walk_->Seek(env, target.data(), target.size())) return env.Undefined();
  if (transaction_ != nullptr) {
    if (range_.Contains(target.data(), target.size())) {
      PositionOverlay(target.data(), target.size(), false);
      StartRegion(target.data(), target.size(), false);
    } else {
      overlay_position_ = overlay_.size();
    }
  }
  return env.Undefined();
}

Napi::Value Iterator::DeleteNext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env) || !environment_->CheckOpen(env)) return env.Undefined();
  uint32_t count = info[0].As<Napi::Number>().Uint32Value();
  void* transaction = sp_begin(environment_->sophia_env());
  if (transaction == nullptr) {
    environment_->ThrowSophiaError(env, "cannot begin a transaction");
    return env.Undefined();
  }
  uint32_t deleted = 0;
  walk_->Hint(count, static_cast<size_t>(kMaxBatchBytes));
  Entry entry;
  while (deleted < count && Next(env, &entry)) {
    void* document = environment_->NewKeyDocument(env, db_, entry.key, entry.key_size);
    // sp_delete consumes the document whatever it answers.
    if (document == nullptr || sp_delete(transaction, document) != 0) {
      if (!env.IsExceptionPending()) environment_->ThrowSophiaError(env, "cannot delete a key");
      break;
    }
    deleted++;
  }
  if (env.IsExceptionPending()) {
    sp_destroy(transaction);
    return env.Undefined();
  }
  if (!environment_->Commit(env, transaction)) return env.Undefined();
  return Napi::Number::New(env, deleted);
}

Napi::Value Iterator::Close(const Napi::CallbackInfo& info) {
  Detach();
  return info.Env().Undefined();
}

}  // namespace sophia_level
