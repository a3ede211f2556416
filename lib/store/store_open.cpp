// Picks the store implementation from the store's location.
#include "store/pg_schema.h"
#include "store/pg_store.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace xrun {

int Store::latest_schema_version() {
  // The backends number their schemas alike; a build where they disagree
  // would report one backend's version for the other.
  return store::latest_schema_version();
}

bool is_postgresql_url(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Store> open_store(const std::string& location) {
  if (is_postgresql_url(location)) return std::make_unique<PgStore>(location);
  return std::make_unique<SqliteStore>(location);
}

}  // namespace xrun
