#include "backend/sqlite/sqlite_schema.h"

#include <array>
#include <span>
#include <string>

namespace tandem::sqlite {

namespace {

// Times are milliseconds since the Unix epoch; statuses, verdicts, streams and worker
// states are their names (to_string).

// Version 1: the job table and the queue.
constexpr const char* kVersion1[] = {
    R"(CREATE TABLE jobs (
         seq INTEGER PRIMARY KEY,          -- submission order
         job_id TEXT NOT NULL UNIQUE,
         spec TEXT NOT NULL,               -- canonical job JSON (job_to_json)
         status TEXT NOT NULL,
         cancel_requested INTEGER NOT NULL DEFAULT 0,
         reason TEXT NOT NULL DEFAULT '',
         submitted_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL,
         attempt_count INTEGER NOT NULL DEFAULT 0))",
    "CREATE INDEX jobs_by_status ON jobs (status, seq)",
    R"(CREATE TABLE attempts (
         job_id TEXT NOT NULL REFERENCES jobs (job_id),
         number INTEGER NOT NULL,
         worker TEXT NOT NULL,
         started_at INTEGER NOT NULL,
         ended_at INTEGER NOT NULL DEFAULT 0,
         exit_code INTEGER,
         verdict TEXT NOT NULL,
         reason TEXT NOT NULL DEFAULT '',
         output_tail BLOB NOT NULL DEFAULT x'',
         log TEXT NOT NULL DEFAULT '',
         PRIMARY KEY (job_id, number)))",
    R"(CREATE TABLE queue_messages (
         id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
         queue TEXT NOT NULL,
         body TEXT NOT NULL,
         visible_at INTEGER NOT NULL,
         receive_count INTEGER NOT NULL DEFAULT 0,
         receipt TEXT,                     -- NULL while no one holds the message
         leased INTEGER NOT NULL DEFAULT 0,  -- received and not released since
         enqueued_at INTEGER NOT NULL))",
    "CREATE INDEX queue_messages_by_visibility ON queue_messages (queue, visible_at, id)",
    R"(CREATE TABLE dead_letters (
         id INTEGER PRIMARY KEY,
         message_id INTEGER NOT NULL,
         queue TEXT NOT NULL,
         body TEXT NOT NULL,
         receive_count INTEGER NOT NULL,
         reason TEXT NOT NULL,
         at INTEGER NOT NULL))",
    "CREATE INDEX dead_letters_by_queue ON dead_letters (queue)",
};

// Version 2: the event streams with their consumers' offsets, and the worker registry.
constexpr const char* kVersion2[] = {
    R"(CREATE TABLE events (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
         stream TEXT NOT NULL,             -- 'finished' or 'failed'
         job_id TEXT NOT NULL,
         status TEXT NOT NULL,             -- the final status
         reason TEXT NOT NULL DEFAULT '',
         attempts INTEGER NOT NULL,
         at INTEGER NOT NULL))",    "CREATE INDEX events_by_stream ON events (stream, seq)",
    R"(CREATE TABLE consumers (
         name TEXT PRIMARY KEY,
         seq INTEGER NOT NULL              -- the last event it handled
       ))",
    R"(CREATE TABLE workers (
         id TEXT PRIMARY KEY,
         tier TEXT NOT NULL DEFAULT '',
         host TEXT NOT NULL DEFAULT '',
         pid INTEGER NOT NULL DEFAULT 0,
         state TEXT NOT NULL,
         job_id TEXT NOT NULL DEFAULT '',
         started_at INTEGER NOT NULL,
         last_seen INTEGER NOT NULL,
         stopped_at INTEGER NOT NULL DEFAULT 0,  -- 0 while alive
         interrupt_at INTEGER NOT NULL DEFAULT 0,
         interrupt_grace_ms INTEGER NOT NULL DEFAULT 0))",   "CREATE INDEX workers_by_start ON workers (started_at)",
};

// kMigrations[v - 1] brings a database of version v - 1 to version v.
constexpr std::array<std::span<const char* const>, kSchemaVersion> kMigrations = {
    std::span(kVersion1), std::span(kVersion2)};

Result<void> exec(Db& db, const std::string& sql) {
  auto statement = db.prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  auto ran = statement->run();
  if (!ran) return std::unexpected(ran.error());
  return {};
}

Result<std::int64_t> user_version(Db& db) {
  auto version = db.prepare("PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  auto row = version->step();
  if (!row) return std::unexpected(row.error());
  return *row ? version->integer(0) : 0;
}

}  // namespace

Result<void> migrate(Db& db) {
  return db.transaction(true, [&]() -> Result<void> {
    auto found = user_version(db);
    if (!found) return std::unexpected(found.error());
    if (*found > kSchemaVersion)
      return fail(ErrorCode::kInvalid, "database was written by a newer tandem (schema version " +
                                           std::to_string(*found) + "; this tandem knows up to " +
                                           std::to_string(kSchemaVersion) + ")");
    if (*found < 0)
      return fail(ErrorCode::kInvalid,
                  "database has an unknown schema version " + std::to_string(*found));
    if (*found == kSchemaVersion) return {};
    for (auto v = static_cast<std::size_t>(*found); v < kMigrations.size(); ++v)
      for (const char* sql : kMigrations[v])
        if (auto ok = exec(db, sql); !ok) return ok;
    return exec(db, "PRAGMA user_version = " + std::to_string(kSchemaVersion));
  });
}

}  // namespace tandem::sqlite
