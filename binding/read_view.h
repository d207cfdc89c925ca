#pragma once

namespace sophia_level {

class Environment;

// A Sophia cursor used as a point-in-time view of the environment: every read
// through it sees the data as it was when the view was opened. Shared by an
// explicit snapshot and the iterators created from it, so it is reference
// counted: abstract-level lets a snapshot close while its iterators live on.
class ReadView {
 public:
  // Opens a view of the current state; nullptr if Sophia fails.
  static ReadView* Open(Environment* environment);

  // nullptr once the environment is gone.
  void* cursor() const { return cursor_; }

  void Retain() { ++references_; }
  void Release();

  // Called when the environment is destroyed, which frees every cursor.
  void Invalidate();

 private:
  ReadView(Environment* environment, void* cursor) : environment_(environment), cursor_(cursor) {}

  Environment* environment_;
  void* cursor_;
  int references_ = 1;
};

}  // namespace sophia_level
