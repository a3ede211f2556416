// Picks the store implementation from the store's location; what every
// implementation shares.
#include "store/pg_store.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace xrun {

namespace {
const char* const kWaitingNames[] = {"", "room", "connection", "dependencies", "retry_backoff", "deferred"};
}  // namespace

const char* waiting_for_name(WaitingFor w) {
  auto i = static_cast<size_t>(w);
  return i < sizeof kWaitingNames / sizeof kWaitingNames[0] ? kWaitingNames[i] : "";
}

WaitingFor waiting_for_from_name(const std::string& name) {
  for (size_t i = 1; i < sizeof kWaitingNames / sizeof kWaitingNames[0]; ++i)
    if (name == kWaitingNames[i]) return static_cast<WaitingFor>(i);
  return WaitingFor::Nothing;
}

int Store::latest_schema_version() {
  // The backends number their schemas alike (pg_schema.h); a test checks
  // that their latest versions agree.
  return store::latest_schema_version();
}

bool is_postgresql_url(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Store> open_store(const std::string& location, Store::Mode mode) {
  if (is_postgresql_url(location)) return std::make_unique<PgStore>(location, mode);
  return std::make_unique<SqliteStore>(location, mode);
}

}  // namespace xrun
