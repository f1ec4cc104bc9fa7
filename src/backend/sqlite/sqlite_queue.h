// Queue over a SQLite connection. See backend/queue.h for the contract.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "backend/queue.h"
#include "backend/sqlite/sqlite_db.h"

namespace tandem::sqlite {

// Appends messages to queue `queue`, visible from `now`, inside the caller's
// transaction (Backend::submit uses it to put and send in one transaction).
Result<void> insert_messages(Db& db, std::string_view queue, std::span<const std::string> bodies,
                             Millis now);

class SqliteQueue final : public Queue {
 public:
  // `db` must outlive the queue.
  SqliteQueue(Db& db, std::string name);

  Result<void> send(std::span<const std::string> bodies) override;
  // Waits by polling (5 ms doubling to 200 ms, and never past the time the next message
  // becomes visible): SQLite has no notification across processes.
  Result<std::optional<Message>> receive(Millis lease_ms, Millis wait_ms) override;
  Result<void> renew(const Message& m, Millis lease_ms) override;
  Result<void> release(const Message& m, Millis delay_ms) override;
  Result<void> remove(const Message& m) override;
  Result<void> dead_letter(const Message& m, const std::string& reason) override;
  Result<QueueStats> stats() override;

 private:
  // Leases the first visible message, if any, in one write transaction.
  Result<std::optional<Message>> take_visible(Millis lease_ms);
  // When the queue's next message becomes visible; nullopt if the queue is empty.
  Result<std::optional<Millis>> next_visible_at();
  // Runs a statement conditional on ?1 = id, ?2 = queue, ?3 = receipt, with `extra`
  // bound from ?4 on; kLeaseLost when it changes no row.
  Result<void> change_held(std::string_view sql, const Message& m,
                           const std::vector<std::int64_t>& extra);
  Error lease_lost(const Message& m) const;
  std::string new_receipt();

  Db& db_;
  std::string name_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace tandem::sqlite
