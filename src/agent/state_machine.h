// The agent as a pure state machine: states, events, and a transition function that
// returns the next state and the actions to take. No I/O, no clock: the driver
// (driver.h) performs the actions against the backend and the executor and feeds their
// results back as events, with the time.
//
// One machine runs one slot of a worker: it takes one job at a time.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "backend/queue.h"
#include "common/clock.h"
#include "common/error.h"
#include "executor/executor.h"
#include "job/job.h"

namespace tandem::agent {

struct Policy {
  Millis backoff_base_ms = 1000;  // before retry n of a failed job: base * 2^(n-1) ...
  Millis backoff_max_ms = 60000;  // ... at most this
  Millis idle_exit_ms = 0;        // stop once the queue stayed empty this long; 0: never
  Millis receive_wait_ms = 1000;  // how long one receive waits for a message
  Millis kill_grace_ms = 5000;    // SIGTERM, then SIGKILL after this
  int max_lost = 3;               // attempts lost with their worker before the job fails
  int max_interrupted = 10;       // attempts returned by their agent before the job fails
  int max_own_failures = 3;       // failures in a row of this worker's own before it stops
  int max_record_tries = 5;       // tries to record an outcome before the lease is left to lapse
};

// ---- Actions (what the driver must do next, in order) ----
// Only the last action of a Step may produce an event (shown after "->"); the driver
// feeds that event back. Pause, Terminate and Exit produce none.
struct Receive {
  Millis wait_ms = 0;
};  // -> Received | QueueEmpty | Failed
struct Pause {
  Millis ms = 0;
};  // sleep, then go on with the next action
struct Load {
  JobSpec spec;
};  // read the job, adding it if missing -> Loaded | Failed
struct DeadLetter {
  Message msg;
  std::string reason;
};  // -> Done | Failed
struct Finish {
  std::string job_id;
  Status status;
  std::string reason;
};  // -> Done | Failed
struct BeginAttempt {
  std::string job_id;
  int number;
};  // -> AttemptBegun | Failed
struct Launch {
  JobSpec spec;
  int number;
};                    // -> Launched | LaunchFailed
struct Terminate {};  // kill the job's process tree
struct Record {       // -> Done | Failed
  std::string job_id;
  Attempt attempt;
  Status status;
  std::string reason;
};
struct Remove {
  Message msg;
};  // -> Done | Failed
struct Release {
  Message msg;
  Millis delay_ms = 0;
};  // -> Done | Failed
struct Exit {
  std::string reason;
};
using Action = std::variant<Receive, Pause, Load, DeadLetter, Finish, BeginAttempt, Launch,
                            Terminate, Record, Remove, Release, Exit>;

// ---- States (the phase a slot is in) ----
struct Polling {};  // waiting for a message
struct Loading {    // reading the job's record
  Message msg;
  JobSpec spec;
};
struct Starting {  // opening the attempt in the table, then launching it
  Message msg;
  JobRecord job;
  int number = 0;
};
struct Running {
  Message msg;
  JobRecord job;
  int number = 0;
  Millis started_at = 0;
  std::optional<Millis> deadline;       // from the job's timeout
  std::optional<Verdict> kill_verdict;  // why we are killing it, once we are
  std::string kill_reason;
  bool lease_lost = false;  // the message is not ours any more: neither remove nor release it
};
struct Recording {  // writing the attempt's outcome; then removing or releasing
  Message msg;
  std::string job_id;
  Attempt attempt;
  Status status = Status::kPending;
  std::string reason;
  bool remove = false;             // else release after `delay_ms`...
  std::optional<Millis> delay_ms;  // ... or neither (lease lost: not ours any more)
  int tries = 0;
};
struct Closing {  // the message's last actions (finish, remove, release), one at a time
  std::vector<Action> remaining;
  bool finishing = false;  // the action under way records a final status
};
struct Stopped {
  std::string reason;
  bool worker_fault = false;  // stopped because this worker kept failing
};
using Phase = std::variant<Polling, Loading, Starting, Running, Recording, Closing, Stopped>;

struct State {
  Phase phase = Polling{};
  Millis idle_since = 0;  // when the queue was last seen non-empty or a job ended
  int own_failures = 0;   // in a row
  std::string last_own_failure;
  bool draining = false;     // shutdown asked: take no new job
  int backend_failures = 0;  // in a row, for the backoff of receive
};

// ---- Events (what happened) ----
struct Started {};
struct Received {
  Message msg;
};
struct QueueEmpty {
  long delayed = 0;
};  // nothing visible; `delayed` messages wait for a retry
struct Loaded {
  JobRecord job;
};
struct AttemptBegun {};
struct Launched {};
struct LaunchFailed {
  Error error;
};               // kInvalid: the job cannot run here; else the worker's trouble
struct Tick {};  // time passes while a job runs
struct Exited {
  RunOutcome outcome;
};
struct LeaseLost {};
struct CancelRequested {};
struct Shutdown {
  bool now = false;  // return the running job at once ...
  std::string why;   // ... because of this (e.g. an interruption notice)
};
struct Done {};  // the last action succeeded
struct Failed {
  Error error;
};  // the last action failed
using Event =
    std::variant<Started, Received, QueueEmpty, Loaded, AttemptBegun, Launched, LaunchFailed, Tick,
                 Exited, LeaseLost, CancelRequested, Shutdown, Done, Failed>;

struct Step {
  State state;
  std::vector<Action> actions;
  std::string log;  // one line for the agent's log, or empty
};

// The transition function: pure and total. An event that does not fit the phase leaves
// the state unchanged and says so in `log` (it is a driver bug, never a job's fault).
Step transition(const State& state, const Event& event, Millis now, const Policy& policy);

// The verdict of an attempt that ran to its end, and why.
std::pair<Verdict, std::string> judge(const JobSpec& spec, const RunOutcome& outcome);

// The delay before retry `charged` (1-based count of charged attempts so far).
Millis backoff(int charged, const Policy& policy);

std::string_view phase_name(const Phase& phase);

}  // namespace tandem::agent
