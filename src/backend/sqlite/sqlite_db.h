// One SQLite connection for the sqlite:// backend: prepared statements cached per
// connection, transactions, and SQLite errors mapped to tandem's error codes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "common/error.h"

namespace tandem::sqlite {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN -> kUnavailable; SQLITE_CONSTRAINT ->
// kConflict; SQLITE_NOTADB -> kInvalid; anything else -> kInternal. The message is "`doing`:
// <sqlite3_errmsg>".
Error sql_error(sqlite3* db, int rc, std::string_view doing);

// A cached prepared statement in use: bind parameters (1-based), step, read columns
// (0-based). Reset, with its bindings cleared, when it goes out of scope. Bound values
// are copied. Not copyable; one use at a time.
class Statement {
 public:
  // `in_use` is set until this Statement is gone.
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use);
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // true when a row is ready to read, false when the statement is done.
  Result<bool> step();
  // Steps to the end, ignoring rows; returns the number of rows changed.
  Result<int> run();

  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  int bind_rc_ = SQLITE_OK;  // the first failed bind, reported by step()
};

// One connection. Not thread-safe: one Db per thread.
class Db {
 public:
  // Opens or creates the database file at `path` (its directory must exist), in WAL mode
  // with synchronous=NORMAL (survives any process crash; an OS crash or power loss may
  // lose the last commits), a 10 s busy timeout and foreign keys on, and creates,
  // upgrades or checks the schema (sqlite_schema.h). kUnavailable if it cannot be opened; kInvalid
  // if a newer tandem wrote it.
  static Result<std::unique_ptr<Db>> open(const std::string& path);

  // The statement for `sql`, prepared once per connection. kInternal if `sql` is wrong
  // or its statement is already in use.
  Result<Statement> prepare(std::string_view sql);

  // Runs `fn` (returning a Result) inside one transaction: BEGIN IMMEDIATE when `write`
  // (takes the write lock at once, waiting up to the busy timeout), else BEGIN. Commits
  // when fn succeeds, rolls back when it fails or throws. Not reentrant.
  template <typename F>
  std::invoke_result_t<F&> transaction(bool write, F&& fn);

 private:
  explicit Db(DbPtr db) : db_(std::move(db)) {}
  Result<void> configure();
  Result<void> enable_wal();
  Result<void> exec(std::string_view sql);  // a statement without rows
  void rollback_if_open();

  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  struct Cached {
    StatementPtr statement;
    bool in_use = false;
  };

  DbPtr db_;
  std::unordered_map<std::string, Cached, SqlHash, std::equal_to<>> cache_;
};

template <typename F>
std::invoke_result_t<F&> Db::transaction(bool write, F&& fn) {
  using R = std::invoke_result_t<F&>;
  if (auto begun = exec(write ? "BEGIN IMMEDIATE" : "BEGIN"); !begun)
    return R(std::unexpect, begun.error());
  struct Guard {
    Db* db;
    ~Guard() {
      if (db != nullptr) db->rollback_if_open();
    }
  } guard{this};
  R result = fn();
  if (!result) return result;
  if (auto committed = exec("COMMIT"); !committed) return R(std::unexpect, committed.error());
  guard.db = nullptr;
  return result;
}

}  // namespace tandem::sqlite
