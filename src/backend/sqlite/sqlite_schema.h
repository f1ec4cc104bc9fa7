// The sqlite:// schema and its migrations. The version is the database's user_version;
// every version's statements are kept as they were released, so that a file of any
// earlier version is upgraded in place, one version after the other.
#pragma once

#include "backend/sqlite/sqlite_db.h"

namespace tandem::sqlite {

// The version this tandem writes: 1 (jobs, attempts, queue_messages, dead_letters),
// 2 (+ events, consumers, workers).
inline constexpr int kSchemaVersion = 2;

// Creates the schema in a new database, or upgrades an older one to kSchemaVersion, in
// one write transaction (two processes opening an old file at once upgrade it once).
// kInvalid if a newer tandem wrote the file.
Result<void> migrate(Db& db);

}  // namespace tandem::sqlite
