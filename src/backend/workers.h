// The worker registry: which workers are alive, their tier and state, so that
// `tandem workers` and `tandem interrupt` work from any machine, and every run can report
// its cost (worker-seconds per tier times the tier's price).
//
// Not thread-safe: use one per thread (open a Backend per thread).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace tandem {

enum class WorkerState { kIdle, kBusy, kDraining, kStopped };

std::string_view to_string(WorkerState s);
std::optional<WorkerState> parse_worker_state(std::string_view text);

struct WorkerRecord {
  std::string id;    // unique; the agent's worker name
  std::string tier;  // capacity tier, e.g. "on-demand", "spot"; empty: none
  std::string host;
  int pid = 0;
  WorkerState state = WorkerState::kIdle;
  std::string job_id;      // the job it runs, when busy
  Millis started_at = 0;
  Millis last_seen = 0;    // its last heartbeat
  Millis stopped_at = 0;   // 0 while alive
  Millis interrupt_at = 0; // 0, or when an interruption notice was sent ...
  Millis interrupt_grace_ms = 0;  // ... and how long it gives
};

class WorkerRegistry {
 public:
  virtual ~WorkerRegistry() = default;

  // Registers the worker or updates it (state, job_id, last_seen, stopped_at); keeps
  // started_at and a pending interruption notice as they are. kInvalid for an empty id.
  // tier, host and pid are recorded on registration and kept after; a started_at (on
  // registration) or last_seen of 0 means now; the record's interrupt fields are ignored.
  virtual Result<void> heartbeat(const WorkerRecord& worker) = 0;

  // The worker, or nullopt.
  virtual Result<std::optional<WorkerRecord>> get(std::string_view id) = 0;

  // Workers in start order: the live ones (stopped_at == 0), or all with `stopped` true;
  // only those started at or after `since` (ms) when it is not 0.
  virtual Result<std::vector<WorkerRecord>> list(bool stopped, Millis since) = 0;

  // Sends an interruption notice: the worker returns its job at once and stops within
  // `grace_ms`. kNotFound if no such worker; kConflict if it has stopped; kInvalid for a
  // negative grace. A second notice replaces the first.
  virtual Result<void> interrupt(std::string_view id, Millis grace_ms, Millis now) = 0;
};

}  // namespace tandem
