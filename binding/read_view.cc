#include "read_view.h"

#include "database.h"
#include "sophia.h"

namespace sophia_level {

ReadView* ReadView::Open(Database* database) {
  void* cursor = sp_cursor(database->sophia_env());
  if (cursor == nullptr) return nullptr;
  ReadView* view = new ReadView(database, cursor);
  database->TrackView(view);
  return view;
}

void ReadView::Release() {
  if (--references_ > 0) return;
  if (cursor_ != nullptr) {
    sp_destroy(cursor_);
    database_->ForgetView(this);
  }
  delete this;
}

void ReadView::Invalidate() {
  cursor_ = nullptr;
  database_ = nullptr;
}

}  // namespace sophia_level
