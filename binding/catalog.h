#pragma once

#include <string>
#include <vector>

namespace sophia_level {

// The names of an environment's databases in declaration order, kept in
// <location>/databases, one per line. Sophia identifies a database in its
// write-ahead log only by the order of declaration, so reopening with the
// databases declared in another order, or with one missing, would replay one
// database's writes into another. Every open declares all the names the
// catalog lists, in its order, and new names are appended.
class DatabaseCatalog {
 public:
  // The full list of names to declare: the catalog's, then any requested
  // name it lacks (written back, durably, before Sophia sees them). An
  // environment made before catalogs existed held one database, "main".
  static bool Resolve(const std::string& location, bool environment_exists, const std::vector<std::string>& requested,
                      std::vector<std::string>* names, std::string* error);
};

}  // namespace sophia_level
