#include "backend/sqlite/sqlite_workers.h"

namespace tandem::sqlite {

namespace {

// The worker in the current row of `q`: id, tier, host, pid, state, job_id, started_at,
// last_seen, stopped_at, interrupt_at, interrupt_grace_ms.
Result<WorkerRecord> worker_of(const Statement& q) {
  WorkerRecord w;
  w.id = q.text(0);
  w.tier = q.text(1);
  w.host = q.text(2);
  w.pid = static_cast<int>(q.integer(3));
  auto state = parse_worker_state(q.text(4));
  if (!state)
    return fail(ErrorCode::kInternal,
                "worker '" + w.id + "' in the database has an unknown state '" + q.text(4) + "'");
  w.state = *state;
  w.job_id = q.text(5);
  w.started_at = q.integer(6);
  w.last_seen = q.integer(7);
  w.stopped_at = q.integer(8);
  w.interrupt_at = q.integer(9);
  w.interrupt_grace_ms = q.integer(10);
  return w;
}

// Every row of `q` as workers.
Result<std::vector<WorkerRecord>> workers_of(Statement& q) {
  std::vector<WorkerRecord> out;
  for (;;) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    auto w = worker_of(q);
    if (!w) return std::unexpected(w.error());
    out.push_back(std::move(*w));
  }
}

}  // namespace

Result<void> SqliteWorkers::heartbeat(const WorkerRecord& worker) {
  if (worker.id.empty()) return fail(ErrorCode::kInvalid, "a worker id must not be empty");
  Millis now = now_millis();
  return db_.transaction(true, [&]() -> Result<void> {
    auto upsert = db_.prepare(
        "INSERT INTO workers (id, tier, host, pid, state, job_id, started_at, last_seen, "
        "stopped_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, job_id = excluded.job_id, "
        "last_seen = excluded.last_seen, stopped_at = excluded.stopped_at");
    if (!upsert) return std::unexpected(upsert.error());
    upsert->bind(1, worker.id).bind(2, worker.tier).bind(3, worker.host).bind(4, worker.pid);
    upsert->bind(5, to_string(worker.state)).bind(6, worker.job_id);
    upsert->bind(7, worker.started_at != 0 ? worker.started_at : now);
    upsert->bind(8, worker.last_seen != 0 ? worker.last_seen : now).bind(9, worker.stopped_at);
    auto ran = upsert->run();
    if (!ran) return std::unexpected(ran.error());
    return {};
  });
}

Result<std::optional<WorkerRecord>> SqliteWorkers::get(std::string_view id) {
  auto q = db_.prepare(
      "SELECT id, tier, host, pid, state, job_id, started_at, last_seen, stopped_at, "
      "interrupt_at, interrupt_grace_ms FROM workers WHERE id = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, id);
  auto workers = workers_of(*q);
  if (!workers) return std::unexpected(workers.error());
  if (workers->empty()) return std::optional<WorkerRecord>();
  return std::optional<WorkerRecord>(std::move(workers->front()));
}

Result<std::vector<WorkerRecord>> SqliteWorkers::list(bool stopped, Millis since) {
  // Start order; among workers started in the same millisecond, registration order.
  auto q = db_.prepare(
      "SELECT id, tier, host, pid, state, job_id, started_at, last_seen, stopped_at, "
      "interrupt_at, interrupt_grace_ms FROM workers "
      "WHERE (?1 OR stopped_at = 0) AND (?2 = 0 OR started_at >= ?2) "
      "ORDER BY started_at, rowid");
  if (!q) return std::unexpected(q.error());
  q->bind(1, std::int64_t{stopped ? 1 : 0}).bind(2, since);
  return workers_of(*q);
}

Result<void> SqliteWorkers::interrupt(std::string_view id, Millis grace_ms, Millis now) {
  if (grace_ms < 0) return fail(ErrorCode::kInvalid, "an interruption grace must not be negative");
  return db_.transaction(true, [&]() -> Result<void> {
    auto q = db_.prepare("SELECT stopped_at FROM workers WHERE id = ?1");
    if (!q) return std::unexpected(q.error());
    auto row = q->bind(1, id).step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return fail(ErrorCode::kNotFound, "no worker '" + std::string(id) + "'");
    if (Millis stopped_at = q->integer(0); stopped_at != 0)
      return fail(ErrorCode::kConflict, "worker '" + std::string(id) + "' stopped at " +
                                            format_time(stopped_at) + ": nothing to interrupt");
    auto notice =
        db_.prepare("UPDATE workers SET interrupt_at = ?2, interrupt_grace_ms = ?3 WHERE id = ?1");
    if (!notice) return std::unexpected(notice.error());
    auto ran = notice->bind(1, id).bind(2, now).bind(3, grace_ms).run();
    if (!ran) return std::unexpected(ran.error());
    return {};
  });
}

}  // namespace tandem::sqlite
