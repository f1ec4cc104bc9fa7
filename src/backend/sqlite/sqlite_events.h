// EventLog over a SQLite connection. See backend/events.h for the contract.
#pragma once

#include "backend/events.h"
#include "backend/sqlite/sqlite_db.h"

namespace tandem::sqlite {

// Appends the event that reports job `job_id`'s final status, on the stream of
// `final_status`, with the status, reason and attempt count the job now has in the table:
// call it inside the transaction that gave the job that status, after the change.
// kInternal if there is no such job.
Result<void> append_event(Db& db, std::string_view job_id, Status final_status, Millis now);

class SqliteEvents final : public EventLog {
 public:
  // `db` must outlive the log.
  explicit SqliteEvents(Db& db) : db_(db) {}

  // Waits by polling (5 ms doubling to 200 ms): SQLite has no notification across
  // processes.
  Result<std::vector<JobEvent>> read(std::int64_t after, std::optional<Stream> stream,
                                     std::size_t limit, Millis wait_ms) override;
  Result<std::int64_t> offset(std::string_view consumer) override;
  Result<void> commit(std::string_view consumer, std::int64_t seq) override;

 private:
  // The events read() returns, without waiting.
  Result<std::vector<JobEvent>> select(std::int64_t after, std::optional<Stream> stream,
                                       std::size_t limit);

  Db& db_;
};

}  // namespace tandem::sqlite
