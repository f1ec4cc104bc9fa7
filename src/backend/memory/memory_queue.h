// Queue over a memory::Store. See backend/queue.h for the contract.
#pragma once

#include <memory>
#include <string>

#include "backend/memory/memory_store.h"
#include "backend/queue.h"

namespace tandem::memory {

class MemoryQueue final : public Queue {
 public:
  // `state` is the node of `store->queues` for `name`.
  MemoryQueue(std::shared_ptr<Store> store, QueueState* state, std::string name);

  Result<void> send(std::span<const std::string> bodies) override;
  Result<std::optional<Message>> receive(Millis lease_ms, Millis wait_ms) override;
  Result<void> renew(const Message& m, Millis lease_ms) override;
  Result<void> release(const Message& m, Millis delay_ms) override;
  Result<void> remove(const Message& m) override;
  Result<void> dead_letter(const Message& m, const std::string& reason) override;
  Result<QueueStats> stats() override;

 private:
  // Leases the first visible message, if any. Needs store_->mu held.
  std::optional<Message> take_visible(Millis now, Millis lease_ms);
  // The message `m` if its receipt still holds it, else kLeaseLost. Needs store_->mu held.
  Result<std::map<long, StoredMessage>::iterator> held(const Message& m);
  // Moves a message in the receive order. Needs store_->mu held.
  void set_visible_at(long id, StoredMessage& msg, Millis at);
  void erase(std::map<long, StoredMessage>::iterator it);

  std::shared_ptr<Store> store_;
  QueueState* state_;
  std::string name_;
};

}  // namespace tandem::memory
