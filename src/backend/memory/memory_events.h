// EventLog over a memory::Store. See backend/events.h for the contract.
#pragma once

#include <memory>

#include "backend/events.h"
#include "backend/memory/memory_store.h"

namespace tandem::memory {

class MemoryEvents final : public EventLog {
 public:
  explicit MemoryEvents(std::shared_ptr<Store> store);

  // Waits on the store's condition variable: wakes as soon as an event is appended.
  Result<std::vector<JobEvent>> read(std::int64_t after, std::optional<Stream> stream,
                                     std::size_t limit, Millis wait_ms) override;
  Result<std::int64_t> offset(std::string_view consumer) override;
  Result<void> commit(std::string_view consumer, std::int64_t seq) override;

 private:
  // The events read() returns, without waiting. Needs store_->mu held.
  std::vector<JobEvent> collect(std::int64_t after, std::optional<Stream> stream,
                                std::size_t limit) const;

  std::shared_ptr<Store> store_;
};

}  // namespace tandem::memory
