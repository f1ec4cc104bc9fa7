// WorkerRegistry over a memory::Store. See backend/workers.h for the contract.
#pragma once

#include <memory>

#include "backend/memory/memory_store.h"
#include "backend/workers.h"

namespace tandem::memory {

class MemoryWorkers final : public WorkerRegistry {
 public:
  explicit MemoryWorkers(std::shared_ptr<Store> store);

  Result<void> heartbeat(const WorkerRecord& worker) override;
  Result<std::optional<WorkerRecord>> get(std::string_view id) override;
  Result<std::vector<WorkerRecord>> list(bool stopped, Millis since) override;
  Result<void> interrupt(std::string_view id, Millis grace_ms, Millis now) override;

 private:
  std::shared_ptr<Store> store_;
};

}  // namespace tandem::memory
