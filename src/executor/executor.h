// The executor: runs one attempt's script as a process tree on this worker, streams its
// output to a log, and kills the whole tree on demand.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/error.h"

namespace tandem {

struct RunRequest {
  std::string script;       // the job's commands, one a line
  bool powershell = false;  // run with PowerShell (pwsh) instead of /bin/sh
  std::string workdir;  // the script runs in it; created (must not exist yet), or with
                        // reuse_workdir an existing empty directory is taken as it is
  bool keep_workdir = false;   // else emptied when the run ends ...
  bool reuse_workdir = false;  // ... and, unless this is set, removed too
  std::string log_path;     // the full output (stdout and stderr, merged) goes here ...
  Millis log_after_ms = 0;  // ... once the run has lasted this long or its output passed
                            // 64 KiB: a shorter run with less output leaves no file (its
                            // whole output is in RunOutcome::output_tail). 0: at once.
  std::map<std::string, std::string> env;  // added to the worker's environment
  std::string success_string;  // watched for as output streams; empty: not watched
};

struct RunOutcome {
  std::optional<int> exit_code;    // set when the shell exited
  std::optional<int> term_signal;  // set when a signal ended it
  bool success_string_seen = false;
  std::string output_tail;  // the last 64 KiB of output
  long long output_bytes = 0;
};

// One running process tree. Destroying it kills whatever of the tree still runs, waits
// for it, and removes the working directory (unless kept). Not thread-safe.
class Execution {
 public:
  virtual ~Execution() = default;

  // Streams output for up to `wait_ms` (0: just what is ready). Returns the outcome once
  // the shell has exited; then the rest of its process group is killed, so nothing of
  // the job keeps running. nullopt while it still runs. kUnavailable if writing the log
  // failed (the run goes on; the error is reported once).
  virtual Result<std::optional<RunOutcome>> wait(Millis wait_ms) = 0;

  // Sends SIGTERM to the whole process group now and SIGKILL once `grace_ms` has passed
  // (enforced inside wait()). Repeating it does not extend the grace.
  virtual void terminate(Millis grace_ms) = 0;

  virtual int pid() const = 0;
};

// Thread-safe: several slots may start runs at once.
class Executor {
 public:
  virtual ~Executor() = default;

  // Starts the script in its own process group, stdin from /dev/null. kInvalid when the
  // job cannot run on this worker at all (PowerShell is not installed); kUnavailable for
  // the worker's own trouble (the working directory or the log cannot be created, fork
  // fails). The script's shell dies with the calling thread until its process group is
  // registered with the guard, a moment after it starts: call this from a thread that
  // outlives the run.
  virtual Result<std::unique_ptr<Execution>> start(const RunRequest& request) = 0;
};

// Runs processes on this machine. Creating it forks a small guard process that kills
// every process group this executor started as soon as the creating process dies, even
// by SIGKILL: so create it early, before opening files or starting threads.
std::unique_ptr<Executor> make_local_executor();

}  // namespace tandem
