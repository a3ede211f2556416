// The PostgreSQL store's schema as an ordered list of migrations, numbered
// like SQLite's (schema.h) so that a version means the same on both. The
// applied version is kept in the table xrun_schema; each migration runs in
// its own transaction under an advisory lock. A released migration is
// never edited: changes are new entries.
#pragma once
#include <vector>

#include "store/schema.h"

namespace xrun::store {

const std::vector<Migration>& pg_migrations();

}  // namespace xrun::store
