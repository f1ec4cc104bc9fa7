// JobTable over a SQLite connection. See backend/job_table.h for the contract.
#pragma once

#include <string>
#include <vector>

#include "backend/job_table.h"
#include "backend/sqlite/sqlite_db.h"

namespace tandem::sqlite {

// Records jobs inside the caller's transaction (the body of JobTable::put). When
// `added_bodies` is set, the canonical JSON of each added job is appended to it, in the
// order of PutResult::added: the job's queue message.
Result<PutResult> insert_jobs(Db& db, std::span<const JobSpec> jobs, Millis now,
                              std::vector<std::string>* added_bodies);

class SqliteTable final : public JobTable {
 public:
  // `db` must outlive the table.
  explicit SqliteTable(Db& db) : db_(db) {}

  Result<PutResult> put(std::span<const JobSpec> jobs, Millis now) override;
  Result<std::optional<JobRecord>> get(std::string_view job_id) override;
  Result<std::vector<JobSummary>> list(std::optional<Status> status, std::size_t limit) override;
  Result<StatusCounts> counts() override;
  Result<void> begin_attempt(std::string_view job_id, int number, const std::string& worker,
                             const std::string& log, Millis now) override;
  Result<void> end_attempt(std::string_view job_id, const Attempt& a, Status status,
                           const std::string& reason, Millis now) override;
  Result<void> finish(std::string_view job_id, Status status, const std::string& reason,
                      Millis now) override;
  Result<Status> cancel(std::string_view job_id, Millis now) override;

 private:
  Result<std::vector<Attempt>> load_attempts(std::string_view job_id);

  Db& db_;
};

}  // namespace tandem::sqlite
