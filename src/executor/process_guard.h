// The process guard: a small helper process, forked once per local executor, that kills
// the job process groups this process started as soon as this process goes away, even
// when it is killed with SIGKILL and has no chance to clean up itself.
//
// The executor tells the guard "+PGID\n" when a run starts and "-PGID\n" before the run's
// shell is reaped. The guard notices that its channel reached end-of-file (this process
// died, or the ProcessGuard was destroyed), sends SIGKILL to every group still
// registered, and exits.
//
// Limits: a process forked from this one that does not exec keeps the channel open and
// so keeps the guard waiting; a job process that leaves its process group (setsid,
// setpgid) escapes the guard.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>

#include "common/error.h"
#include "common/unique_fd.h"

namespace tandem::local_exec {

class ProcessGuard {
 public:
  // Forks the guard process and waits until it is ready (ignores signals, holds none of
  // our descriptors). kUnavailable if the channel or the fork cannot be made.
  // Call it early: the guard closes every descriptor it inherited, but memory it
  // inherited stays mapped (copy-on-write) for its whole life.
  static Result<std::shared_ptr<ProcessGuard>> start();

  // Takes ownership of a running guard whose channel is `channel`.
  ProcessGuard(pid_t guard_pid, UniqueFd channel);
  ProcessGuard(const ProcessGuard&) = delete;
  ProcessGuard& operator=(const ProcessGuard&) = delete;

  // Closes the channel (the guard kills every group still registered, then exits) and
  // reaps the guard.
  ~ProcessGuard();

  // Registers process group `pgid`. Thread-safe. kUnavailable if the guard is gone.
  Result<void> add(pid_t pgid);

  // Unregisters `pgid`; call it before reaping the group's leader, so that the number
  // cannot be reused while registered. Thread-safe; best effort (a gone guard is ignored).
  void remove(pid_t pgid);

  // The guard's process id (for tests).
  pid_t pid() const { return pid_; }

 private:
  bool await_ready();
  Result<void> send(char op, pid_t pgid);

  pid_t pid_;
  std::mutex mutex_;  // guards channel_
  UniqueFd channel_;
};

}  // namespace tandem::local_exec
