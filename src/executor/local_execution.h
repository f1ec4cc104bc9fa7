// One run started by the local executor: streams the output of a process group to its
// log, watches it, and ends the group.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "executor/executor.h"
#include "executor/output_watch.h"
#include "executor/process_guard.h"
#include "executor/spawn.h"
#include "common/unique_fd.h"

namespace tandem::local_exec {

// The files of a run.
struct RunFiles {
  std::string workdir;      // absolute; created for the run
  std::string script_file;  // beside the workdir; empty when the script went in argv
  bool keep = false;        // keep workdir and script file when the run ends
  bool reuse = false;       // empty the workdir but keep the directory itself
  std::string log_path;     // never removed
};

// Opens (creates, truncates) a log file, creating its folder if missing.
Result<UniqueFd> open_log(const std::string& path);

// Removes the workdir and the script file (unless kept), never following symlinks out
// of the workdir. Best effort: directories the job made unwritable are made writable.
void remove_run_files(const RunFiles& files);

class LocalExecution final : public Execution {
 public:
  // The log is opened (created, truncated) at once if `log_after_ms` is 0, else once the
  // run has lasted that long or its output passed the tail's size.
  LocalExecution(Child child, RunFiles files, Millis log_after_ms, std::string success_string,
                 std::shared_ptr<ProcessGuard> guard);
  LocalExecution(const LocalExecution&) = delete;
  LocalExecution& operator=(const LocalExecution&) = delete;
  ~LocalExecution() override;

  Result<std::optional<RunOutcome>> wait(Millis wait_ms) override;
  void terminate(Millis grace_ms) override;
  int pid() const override { return child_.pid; }

 private:
  enum class Exit { kRunning, kExited, kLost };

  void poll_once(Millis timeout_ms);
  bool read_output();
  void record(std::string_view chunk);
  void open_log_when_due();
  void write_log(std::string_view data);
  Exit check_exit();
  void enforce_kill_deadline();
  Millis poll_timeout(Millis deadline) const;
  void finish(Exit exit);
  void drain(Millis limit_ms);
  void reap_into(RunOutcome& outcome);
  Result<std::optional<RunOutcome>> report(std::optional<RunOutcome> outcome);

  Child child_;
  UniqueFd log_;
  Millis open_log_at_;   // steady clock
  std::string pending_;  // output not yet in the log, while it is not open
  RunFiles files_;
  std::shared_ptr<ProcessGuard> guard_;
  OutputWatch watch_;
  std::vector<char> buffer_;
  std::optional<Millis> kill_at_;  // steady clock; SIGKILL to the group then
  bool killed_ = false;
  bool reaped_ = false;
  std::optional<RunOutcome> outcome_;
  std::optional<Error> log_error_;  // set on the first failed log write
  bool log_error_reported_ = false;
};

}  // namespace tandem::local_exec
