// Starting one job process: fork, set the child up, exec.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "executor/process_guard.h"
#include "common/unique_fd.h"

namespace tandem::local_exec {

struct SpawnSpec {
  std::string program;            // the path to exec (not searched in PATH)
  std::vector<std::string> args;  // argv, argv[0] included
  std::vector<std::string> env;   // the whole environment, "NAME=value" each
  std::string cwd;                // the child changes into it before exec
};

struct Child {
  pid_t pid = -1;   // also the id of its process group
  UniqueFd output;  // read end of the child's stdout+stderr pipe; non-blocking
  UniqueFd pidfd;   // readable once the child exits; invalid if the kernel lacks pidfd_open
};

// vforks and execs `spec` as the leader of a new process group, stdin from /dev/null,
// stdout and stderr into one pipe, default signal dispositions and an empty signal mask,
// no other descriptors, and SIGKILL if the calling thread dies (PR_SET_PDEATHSIG). The
// group is registered with `guard` as soon as the child has exec'd, so call this from a
// thread that outlives the run. kUnavailable (with the reason) if a pipe, the vfork, the
// exec or the registration fails; the child is then killed and reaped. Thread-safe.
Result<Child> spawn(const SpawnSpec& spec, ProcessGuard& guard);

}  // namespace tandem::local_exec
