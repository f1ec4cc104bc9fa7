// What only the sqlite:// backend promises: its file, its folder, its schema version.
#include <gmock/gmock.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "backend_contract.h"
#include "job/parse.h"

namespace tandem::contract {
namespace {

namespace fs = std::filesystem;

// The schema of version 1, as the first release wrote it: a file it made must still open.
constexpr const char* kVersion1Schema = R"(
  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    submitted_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    attempt_count INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX jobs_by_status ON jobs (status, seq);
  CREATE TABLE attempts (
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
    PRIMARY KEY (job_id, number));
  CREATE TABLE queue_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    leased INTEGER NOT NULL DEFAULT 0,
    enqueued_at INTEGER NOT NULL);
  CREATE INDEX queue_messages_by_visibility ON queue_messages (queue, visible_at, id);
  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    receive_count INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL);
  CREATE INDEX dead_letters_by_queue ON dead_letters (queue);
  PRAGMA user_version = 1;
)";

// Runs `sql` on the file with `text` bound to ?1; false (and a test failure) on error.
bool exec_with(sqlite3* db, const char* sql, const std::string& text) {
  sqlite3_stmt* stmt = nullptr;
  bool done = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
              sqlite3_bind_text(stmt, 1, text.c_str(), -1, SQLITE_TRANSIENT) == SQLITE_OK &&
              sqlite3_step(stmt) == SQLITE_DONE;
  sqlite3_finalize(stmt);
  EXPECT_TRUE(done) << sqlite3_errmsg(db) << " in: " << sql;
  return done;
}

// The file's user_version, or -1.
int schema_version(const fs::path& file) {
  sqlite3* raw = nullptr;
  int version = -1;
  if (sqlite3_open(file.c_str(), &raw) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
      version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(raw);
  return version;
}

class SqliteBackend : public ::testing::Test {
 protected:
  tandem::testing::TempDir tmp_;
  const fs::path dir_ = tmp_.path();
};

TEST_F(SqliteBackend, CreatesTheParentFoldersAndNamesThemItsStateDir) {
  fs::path db = dir_ / "a" / "b" / "t.db";
  std::string url = "sqlite://" + db.string();
  auto b = open_backend(url);
  ASSERT_TRUE(ok(b));
  EXPECT_TRUE(fs::exists(db));
  EXPECT_EQ((*b)->state_dir(), (dir_ / "a" / "b").string());
  EXPECT_EQ((*b)->redacted_url(), url);
}

TEST_F(SqliteBackend, ANewDatabaseHasTheCurrentSchema) {
  fs::path db = dir_ / "t.db";
  ASSERT_TRUE(ok(open_backend("sqlite://" + db.string())));
  EXPECT_EQ(schema_version(db), 2);
}

TEST_F(SqliteBackend, UpgradesAVersion1DatabaseInPlace) {
  fs::path file = dir_ / "v1.db";
  auto old_spec = job_to_text(make_job("old"));
  auto done_spec = job_to_text(make_job("done"));
  ASSERT_TRUE(ok(old_spec));
  ASSERT_TRUE(ok(done_spec));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, kVersion1Schema, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(raw);
  exec_with(raw,
            "INSERT INTO jobs (job_id, spec, status, submitted_at, updated_at) "
            "VALUES ('old', ?1, 'PENDING', 1000, 1000)",
            *old_spec);
  exec_with(raw,
            "INSERT INTO jobs (job_id, spec, status, reason, submitted_at, updated_at, "
            "attempt_count) VALUES ('done', ?1, 'SUCCEEDED', 'ok', 1000, 2000, 1)",
            *done_spec);
  exec_with(raw,
            "INSERT INTO queue_messages (queue, body, visible_at, enqueued_at) "
            "VALUES ('default', ?1, 1000, 1000)",
            *old_spec);
  sqlite3_close(raw);
  ASSERT_EQ(schema_version(file), 1);

  auto b = open_backend("sqlite://" + file.string());
  ASSERT_TRUE(ok(b));
  EXPECT_EQ(schema_version(file), 2);
  auto old = (*b)->table().get("old");
  ASSERT_TRUE(ok(old));
  ASSERT_TRUE(*old);
  EXPECT_EQ((*old)->spec, make_job("old"));
  EXPECT_EQ((*old)->status, Status::kPending);
  auto done = (*b)->table().get("done");
  ASSERT_TRUE(ok(done));
  ASSERT_TRUE(*done);
  EXPECT_EQ((*done)->status, Status::kSucceeded);
  auto q = (*b)->queue("default");
  ASSERT_TRUE(ok(q));
  auto m = receive(**q, 60'000, 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body, *old_spec);

  // Jobs that ended before the upgrade have no event; the first one after it has.
  auto none = (*b)->events().read(0, std::nullopt, 10, 0);
  ASSERT_TRUE(ok(none));
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(ok((*b)->table().finish("old", Status::kFailed, "given up", 3000)));
  auto events = (*b)->events().read(0, std::nullopt, 10, 0);
  ASSERT_TRUE(ok(events));
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().job_id, "old");
  EXPECT_EQ(events->front().stream, Stream::kFailed);
  WorkerRecord w;
  w.id = "w";
  EXPECT_TRUE(ok((*b)->workers().heartbeat(w)));
  b->reset();

  auto again = open_backend("sqlite://" + file.string());
  ASSERT_TRUE(ok(again));
  auto kept = (*again)->events().read(0, std::nullopt, 10, 0);
  ASSERT_TRUE(ok(kept));
  EXPECT_EQ(kept->size(), 1u);
}

TEST_F(SqliteBackend, RefusesADatabaseOfANewerTandem) {
  fs::path db = dir_ / "t.db";
  ASSERT_TRUE(ok(open_backend("sqlite://" + db.string())));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  auto r = open_backend("sqlite://" + db.string());
  ASSERT_TRUE(fails_with(r, ErrorCode::kInvalid));
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("database was written by a newer tandem"));
}

TEST_F(SqliteBackend, RefusesAFileThatIsNotADatabase) {
  fs::path file = dir_ / "notes.txt";
  std::ofstream(file) << "these are not the tables you are looking for\n";
  EXPECT_TRUE(fails_with(open_backend("sqlite://" + file.string()), ErrorCode::kInvalid));
}

TEST_F(SqliteBackend, AnUnwritableFolderIsUnavailable) {
  fs::path blocker = dir_ / "file";
  std::ofstream(blocker) << "x";
  auto r = open_backend("sqlite://" + (blocker / "sub" / "t.db").string());
  EXPECT_TRUE(fails_with(r, ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace tandem::contract
