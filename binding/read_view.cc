#include "read_view.h"

#include "environment.h"
#include "sophia.h"

namespace sophia_level {

ReadView* ReadView::Open(Environment* environment) {
  void* cursor = sp_cursor(environment->sophia_env());
  if (cursor == nullptr) return nullptr;
  ReadView* view = new ReadView(environment, cursor);
  environment->TrackView(view);
  return view;
}

void ReadView::Release() {
  if (--references_ > 0) return;
  if (cursor_ != nullptr) {
    sp_destroy(cursor_);
    environment_->ForgetView(this);
  }
  delete this;
}

void ReadView::Invalidate() {
  cursor_ = nullptr;
  environment_ = nullptr;
}

}  // namespace sophia_level
