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
  std::string worker;  // this worker's name; empty: HOST:PID
  Policy policy;
};

// 0: no signal; 1: finish the running jobs, take no new ones; 2: return them at once.
using ShutdownLevel = std::atomic<int>;

using LogSink = std::function<void(const std::string& line)>;

// Opens a new connection to the backend; each slot calls it once, from its own thread.
using BackendFactory = std::function<Result<std::unique_ptr<Backend>>()>;

// Runs the agent's slots until each has stopped (queue empty for idle_exit, shutdown,
// or too many failures of its own). Returns 0 when every slot stopped for an ordinary
// reason, 1 when one stopped because this worker kept failing, 2 if the backend cannot
// be opened.
int run_agent(const AgentOptions& options, const BackendFactory& open, Executor& executor,
              const ShutdownLevel& shutdown, const LogSink& log);

}  // namespace tandem::agent
