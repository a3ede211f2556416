// The store's schema as an ordered list of migrations. PRAGMA user_version
// records how many have been applied; each runs in its own transaction.
// A migration, once released, is never edited: changes are new entries.
#pragma once
#include <vector>

namespace xrun::store {

struct Migration {
  int version;      // user_version after this migration
  const char* sql;  // one or more statements
};

const std::vector<Migration>& migrations();
int latest_schema_version();

}  // namespace xrun::store
