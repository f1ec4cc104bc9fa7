// JobTable over a memory::Store. See backend/job_table.h for the contract.
#pragma once

#include <memory>

#include "backend/job_table.h"
#include "backend/memory/memory_store.h"

namespace tandem::memory {

class MemoryTable final : public JobTable {
 public:
  explicit MemoryTable(std::shared_ptr<Store> store);

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
  // The job, or kNotFound. Needs store_->mu held.
  Result<JobRecord*> find(std::string_view job_id);
  // The job if it is not final, else kConflict (or kNotFound). Needs store_->mu held.
  Result<JobRecord*> find_open(std::string_view job_id);

  std::shared_ptr<Store> store_;
};

}  // namespace tandem::memory
