#include "backend/memory/memory_workers.h"

#include <algorithm>

namespace tandem::memory {

MemoryWorkers::MemoryWorkers(std::shared_ptr<Store> store) : store_(std::move(store)) {}

Result<void> MemoryWorkers::heartbeat(const WorkerRecord& worker) {
  if (worker.id.empty()) return fail(ErrorCode::kInvalid, "a worker id must not be empty");
  Millis now = now_millis();
  std::lock_guard lock(store_->mu);
  auto [it, added] = store_->workers.try_emplace(worker.id, worker);
  WorkerRecord& stored = it->second;
  if (added) {
    store_->worker_order.push_back(worker.id);
    if (stored.started_at == 0) stored.started_at = now;
    stored.interrupt_at = 0;
    stored.interrupt_grace_ms = 0;
  }
  stored.state = worker.state;
  stored.job_id = worker.job_id;
  stored.last_seen = worker.last_seen != 0 ? worker.last_seen : now;
  stored.stopped_at = worker.stopped_at;
  return {};
}

Result<std::optional<WorkerRecord>> MemoryWorkers::get(std::string_view id) {
  std::lock_guard lock(store_->mu);
  auto it = store_->workers.find(id);
  if (it == store_->workers.end()) return std::optional<WorkerRecord>();
  return std::optional<WorkerRecord>(it->second);
}

Result<std::vector<WorkerRecord>> MemoryWorkers::list(bool stopped, Millis since) {
  std::vector<WorkerRecord> out;
  {
    std::lock_guard lock(store_->mu);
    for (const auto& id : store_->worker_order) {
      const WorkerRecord& w = store_->workers.at(id);
      if ((stopped || w.stopped_at == 0) && (since == 0 || w.started_at >= since)) out.push_back(w);
    }
  }
  // Start order; among workers started in the same millisecond, registration order.
  std::stable_sort(out.begin(), out.end(), [](const WorkerRecord& a, const WorkerRecord& b) {
    return a.started_at < b.started_at;
  });
  return out;
}

Result<void> MemoryWorkers::interrupt(std::string_view id, Millis grace_ms, Millis now) {
  if (grace_ms < 0) return fail(ErrorCode::kInvalid, "an interruption grace must not be negative");
  std::lock_guard lock(store_->mu);
  auto it = store_->workers.find(id);
  if (it == store_->workers.end())
    return fail(ErrorCode::kNotFound, "no worker '" + std::string(id) + "'");
  WorkerRecord& w = it->second;
  if (w.stopped_at != 0)
    return fail(ErrorCode::kConflict, "worker '" + w.id + "' stopped at " +
                                          format_time(w.stopped_at) + ": nothing to interrupt");
  w.interrupt_at = now;
  w.interrupt_grace_ms = grace_ms;
  return {};
}

}  // namespace tandem::memory
