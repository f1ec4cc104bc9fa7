// WorkerRegistry over a SQLite connection. See backend/workers.h for the contract.
#pragma once

#include "backend/sqlite/sqlite_db.h"
#include "backend/workers.h"

namespace tandem::sqlite {

class SqliteWorkers final : public WorkerRegistry {
 public:
  // `db` must outlive the registry.
  explicit SqliteWorkers(Db& db) : db_(db) {}

  Result<void> heartbeat(const WorkerRecord& worker) override;
  Result<std::optional<WorkerRecord>> get(std::string_view id) override;
  Result<std::vector<WorkerRecord>> list(bool stopped, Millis since) override;
  Result<void> interrupt(std::string_view id, Millis grace_ms, Millis now) override;

 private:
  Db& db_;
};

}  // namespace tandem::sqlite
