#include "backend/sqlite/sqlite_backend.h"

#include <filesystem>
#include <map>
#include <system_error>

#include "backend/sqlite/sqlite_db.h"
#include "backend/sqlite/sqlite_events.h"
#include "backend/sqlite/sqlite_queue.h"
#include "backend/sqlite/sqlite_table.h"
#include "backend/sqlite/sqlite_workers.h"

namespace tandem {

namespace {

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(std::string path, std::unique_ptr<sqlite::Db> db)
      : path_(std::move(path)), db_(std::move(db)), table_(*db_), events_(*db_), workers_(*db_) {}

  Result<Queue*> queue(std::string_view name) override {
    if (name.empty()) return fail(ErrorCode::kInvalid, "a queue name must not be empty");
    auto it = queues_.find(name);
    if (it == queues_.end())
      it = queues_
               .emplace(std::string(name),
                        std::make_unique<sqlite::SqliteQueue>(*db_, std::string(name)))
               .first;
    return it->second.get();
  }

  JobTable& table() override { return table_; }
  EventLog& events() override { return events_; }
  WorkerRegistry& workers() override { return workers_; }

  // Put and send in one transaction: a crash never leaves an accepted job without its
  // message.
  Result<PutResult> submit(std::span<const JobSpec> jobs, std::string_view queue_name) override {
    if (queue_name.empty()) return fail(ErrorCode::kInvalid, "a queue name must not be empty");
    return db_->transaction(true, [&]() -> Result<PutResult> {
      Millis now = now_millis();
      std::vector<std::string> bodies;
      auto put = sqlite::insert_jobs(*db_, jobs, now, &bodies);
      if (!put) return put;
      if (auto sent = sqlite::insert_messages(*db_, queue_name, bodies, now); !sent)
        return std::unexpected(sent.error());
      return put;
    });
  }

  std::string state_dir() const override {
    auto parent = std::filesystem::path(path_).parent_path();
    return parent.empty() ? "." : parent.string();
  }

  std::string redacted_url() const override { return "sqlite://" + path_; }

 private:
  std::string path_;
  std::unique_ptr<sqlite::Db> db_;
  sqlite::SqliteTable table_;
  sqlite::SqliteEvents events_;
  sqlite::SqliteWorkers workers_;
  std::map<std::string, std::unique_ptr<sqlite::SqliteQueue>, std::less<>> queues_;
};

}  // namespace

Result<std::unique_ptr<Backend>> open_sqlite_backend(std::string_view path) {
  if (path.empty())
    return fail(ErrorCode::kInvalid,
                "sqlite:// needs a file path, e.g. sqlite://.tandem/tandem.db or "
                "sqlite:///abs/path/tandem.db");
  std::string file(path);
  auto parent = std::filesystem::path(file).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec)
    return fail(ErrorCode::kUnavailable, "cannot create directory '" + parent.string() +
                                             "' for the database: " + ec.message());
  auto db = sqlite::Db::open(file);
  if (!db) return std::unexpected(db.error());
  return std::make_unique<SqliteBackend>(std::move(file), std::move(*db));
}

}  // namespace tandem
