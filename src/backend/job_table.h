// The job table: one record per job and one per attempt (the post's "job-monitoring"
// table, with an attempt history). All writes are conditional, so that a duplicate
// delivery never records a final status twice.
//
// A JobTable is not thread-safe: use one per thread (open a Backend per thread).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "job/job.h"

namespace tandem {

struct PutResult {
  std::vector<std::string> added;  // job_ids recorded now, as PENDING
  long existing = 0;               // identical jobs already present, left as they were
};

class JobTable {
 public:
  virtual ~JobTable() = default;

  // Records new jobs as PENDING. All or nothing. A job_id already present with an
  // identical spec is left as it is (counted in `existing`); with another spec the whole
  // call fails with kConflict naming that job_id, and nothing is recorded.
  virtual Result<PutResult> put(std::span<const JobSpec> jobs, Millis now) = 0;

  // The job with all its attempts (in number order); nullopt if there is no such job.
  virtual Result<std::optional<JobRecord>> get(std::string_view job_id) = 0;

  // Jobs in submission order, optionally of one status, at most `limit`.
  virtual Result<std::vector<JobSummary>> list(std::optional<Status> status,
                                               std::size_t limit) = 0;

  virtual Result<StatusCounts> counts() = 0;

  // Starts attempt `number` (must be the job's attempt count + 1) on `worker`: closes
  // the job's open attempts as LOST, adds the new one as RUNNING with `log`, and sets
  // the job RUNNING. kConflict, changing nothing, if the job is final, has a cancel
  // request, or its attempt count is no longer number - 1; kNotFound if no such job.
  virtual Result<void> begin_attempt(std::string_view job_id, int number,
                                     const std::string& worker, const std::string& log,
                                     Millis now) = 0;

  // Ends the open attempt `a.number` with a's outcome (ended_at, exit_code, verdict,
  // reason, output_tail) and sets the job to `status` (PENDING for another attempt, or a
  // final status) with `reason`. kConflict, changing nothing, if that attempt is not
  // open any more or the job is final.
  virtual Result<void> end_attempt(std::string_view job_id, const Attempt& a, Status status,
                                   const std::string& reason, Millis now) = 0;

  // Gives the job a final status without running it (e.g. cancelled while pending, or
  // lost too often), closing its open attempts as LOST. kConflict if already final.
  virtual Result<void> finish(std::string_view job_id, Status status,
                              const std::string& reason, Millis now) = 0;

  // Cancels: a PENDING job becomes CANCELLED at once; a RUNNING one gets a cancel
  // request that its agent carries out. Returns the status after the call. kNotFound if
  // no such job; kConflict if it is already final.
  virtual Result<Status> cancel(std::string_view job_id, Millis now) = 0;
};

}  // namespace tandem
