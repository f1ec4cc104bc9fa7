#include "backend/sqlite/sqlite_db.h"

#include <chrono>
#include <thread>
#include <utility>

#include "backend/sqlite/sqlite_schema.h"
#include "common/clock.h"

namespace tandem::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr int kWalRetryMs = 5;

ErrorCode code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN: return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT: return ErrorCode::kConflict;
    case SQLITE_NOTADB: return ErrorCode::kInvalid;
    default: return ErrorCode::kInternal;
  }
}

}  // namespace

Error sql_error(sqlite3* db, int rc, std::string_view doing) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{code_for(rc), std::string(doing) + ": " + detail};
}

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use)
    : db_(db), stmt_(stmt), in_use_(in_use) {
  *in_use_ = true;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

Statement& Statement::bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob, not NULL, when empty.
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                               SQLITE_TRANSIENT);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return std::unexpected(sql_error(db_, bind_rc_, "binding"));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string where = "SQLite database '" + std::string(sqlite3_db_filename(db_, "main")) + "'";
  Error e = sql_error(db_, rc, where);
  if (e.code == ErrorCode::kInternal) e.message += " (in: " + std::string(sqlite3_sql(stmt_)) + ")";
  return std::unexpected(e);
}

Result<int> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return sqlite3_changes(db_);
  }
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::string Statement::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    Error e = sql_error(db.get(), rc, "cannot open database '" + path + "'");
    e.code = ErrorCode::kUnavailable;
    return std::unexpected(e);
  }
  std::unique_ptr<Db> self(new Db(std::move(db)));
  if (auto ok = self->configure(); !ok) return std::unexpected(ok.error());
  if (auto ok = migrate(*self); !ok) return std::unexpected(ok.error());
  return self;
}

Result<void> Db::configure() {
  sqlite3_extended_result_codes(db_.get(), 1);
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  if (auto wal = enable_wal(); !wal) return wal;
  for (const char* pragma : {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"}) {
    int rc = sqlite3_exec(db_.get(), pragma, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(sql_error(db_.get(), rc, pragma));
  }
  return {};
}

// Switching a new database to WAL does not wait for the busy timeout by itself: when
// several connections open it at once, the ones that find it locked try again.
Result<void> Db::enable_wal() {
  constexpr const char* kPragma = "PRAGMA journal_mode = WAL";
  Millis deadline = steady_millis() + kBusyTimeoutMs;
  for (;;) {
    int rc = sqlite3_exec(db_.get(), kPragma, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return {};
    if ((rc & 0xff) != SQLITE_BUSY || steady_millis() > deadline)
      return std::unexpected(sql_error(db_.get(), rc, kPragma));
    std::this_thread::sleep_for(std::chrono::milliseconds(kWalRetryMs));
  }
}

Result<Statement> Db::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StatementPtr statement(raw);
    if (rc != SQLITE_OK)
      return std::unexpected(sql_error(db_.get(), rc, "preparing " + std::string(sql)));
    it = cache_.emplace(std::string(sql), Cached{std::move(statement), false}).first;
  }
  if (it->second.in_use)
    return fail(ErrorCode::kInternal, "statement already in use: " + std::string(sql));
  return Statement(db_.get(), it->second.statement.get(), &it->second.in_use);
}

Result<void> Db::exec(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  auto ran = statement->run();
  if (!ran) return std::unexpected(ran.error());
  return {};
}

void Db::rollback_if_open() {
  if (sqlite3_get_autocommit(db_.get()) == 0)
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace tandem::sqlite
