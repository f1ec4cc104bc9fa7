// The agent's driver: the thin loop that performs the state machine's actions against
// the backend, the executor and the clock, and feeds the results back as events. It
// depends on the interfaces only, never on one backend.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "agent/state_machine.h"
#include "backend/backend.h"
#include "executor/executor.h"

namespace tandem::agent {

struct AgentOptions {
  std::string queue = "default";
  int slots = 1;                  // jobs run at once, one state machine each
  Millis lease_ms = 60000;        // renewed every lease/3 while a job runs
  Millis cancel_check_ms = 1000;  // how often a running job's cancel request is looked for
  std::string state_dir;          // logs and working directories; empty: the backend's
  bool keep_workdirs = false;
  std::string worker;          // this worker's name; empty: HOST:PID
  std::string tier;            // its capacity tier, recorded in the worker registry
  Millis heartbeat_ms = 2000;  // how often the worker registry is updated and an
                               // interruption notice looked for
  Policy policy;
};

// 0: no signal; 1: finish the running jobs, take no new ones; 2: return them at once.
using ShutdownLevel = std::atomic<int>;

using LogSink = std::function<void(const std::string& line)>;

// Opens a new connection to the backend; each slot calls it once, from its own thread.
using BackendFactory = std::function<Result<std::unique_ptr<Backend>>()>;

// Runs the agent's slots until each has stopped (queue empty for idle_exit, shutdown,
// an interruption notice, or too many failures of its own). Meanwhile the worker is kept
// in the backend's worker registry (tier, state, job) and an interruption notice sent
// there (`tandem interrupt`, a provisioner) returns every running job to the queue at
// once, as INTERRUPTED, and stops the agent. Returns 0 when every slot stopped for an ordinary
// reason, 1 when one stopped because this worker kept failing, 2 if the backend cannot
// be opened.
int run_agent(const AgentOptions& options, const BackendFactory& open, Executor& executor,
              const ShutdownLevel& shutdown, const LogSink& log);

}  // namespace tandem::agent
