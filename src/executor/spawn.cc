#include "executor/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::local_exec {
namespace {

// What the child reports through its close-on-exec pipe when it cannot exec.
enum class Stage : int { kSetup = 1, kDirectory, kDescriptors, kExec };

struct Report {
  Stage stage;
  int error;
};

// Everything the child needs, prepared before the fork: after it, in a process that
// may have other threads, the child calls only async-signal-safe functions.
struct ChildPlan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  pid_t parent;
  int output;  // write end of the output pipe
  int input;   // /dev/null
  int go;      // read end: one byte once the parent has registered the group
  int report;  // write end, close-on-exec
};

[[noreturn]] void child_fail(const ChildPlan& plan, Stage stage) {
  Report report{stage, errno};
  ssize_t ignored = ::write(plan.report, &report, sizeof report);
  (void)ignored;
  ::_exit(127);
}

void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Marks every descriptor from 3 on close-on-exec (the report pipe must survive until
// exec; the others go then).
bool cloexec_from_3() {
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return true;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  for (rlim_t fd = 3; fd < limit.rlim_cur; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  return true;
}

bool set_up_stdio(const ChildPlan& plan) {
  // Move both out of 0..2 first, so that installing one cannot clobber the other.
  int input = ::fcntl(plan.input, F_DUPFD_CLOEXEC, 3);
  int output = ::fcntl(plan.output, F_DUPFD_CLOEXEC, 3);
  if (input < 0 || output < 0) return false;
  return ::dup2(input, 0) == 0 && ::dup2(output, 1) == 1 && ::dup2(output, 2) == 2;
}

[[noreturn]] void run_child(const ChildPlan& plan) {
  ::setpgid(0, 0);
  // No PR_SET_PDEATHSIG: it follows the forking thread, not the process. The guard
  // process kills the group if the agent dies, and the go byte below makes sure the
  // group is registered with the guard before the script runs.
  char go = 0;
  ssize_t n;
  while ((n = ::read(plan.go, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) ::_exit(127);  // the parent gave up on us
  reset_signals();
  if (::chdir(plan.cwd) != 0) child_fail(plan, Stage::kDirectory);
  if (!set_up_stdio(plan) || !cloexec_from_3()) child_fail(plan, Stage::kDescriptors);
  ::execve(plan.program, plan.argv, plan.envp);
  child_fail(plan, Stage::kExec);
}

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string errno_text(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

std::string stage_text(Stage stage) {
  switch (stage) {
    case Stage::kSetup: return "set up the child process";
    case Stage::kDirectory: return "enter the working directory";
    case Stage::kDescriptors: return "set up stdin/stdout/stderr";
    case Stage::kExec: return "exec";
  }
  return "start";
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorCode::kUnavailable, errno_text("cannot create a pipe", errno));
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Like a pipe, but writing to it after the reader died fails with EPIPE (send with
// MSG_NOSIGNAL) instead of raising SIGPIPE in this process.
Result<Pipe> make_socket_pipe() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail(ErrorCode::kUnavailable, errno_text("cannot create a socket pair", errno));
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// Forks with every signal blocked, so that no handler of this process runs in the child
// before it has reset them. Returns the child's pid in the parent (or -1).
pid_t fork_blocked(const ChildPlan& plan) {
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) run_child(plan);
  int saved = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return pid;
}

// After the fork: the child waits for the go byte; then reads what the child reports
// (nothing: it exec'd). Returns the failure, if any.
Result<void> release_child(pid_t pid, Pipe& go, Pipe& report, ProcessGuard& guard,
                           const std::string& program) {
  if (auto added = guard.add(pid); !added) {
    ::kill(pid, SIGKILL);
    reap(pid);
    return added;
  }
  const char byte = 'g';
  // If the child died meanwhile this fails, and so does the report below.
  ssize_t ignored = ::send(go.write.get(), &byte, 1, MSG_NOSIGNAL);
  (void)ignored;
  go.write.reset();
  Report child_report{};
  ssize_t n;
  while ((n = ::read(report.read.get(), &child_report, sizeof child_report)) < 0 &&
         errno == EINTR) {
  }
  if (n == 0) return {};
  ::kill(pid, SIGKILL);
  guard.remove(pid);
  reap(pid);
  if (n != sizeof child_report) {
    return fail(ErrorCode::kUnavailable, "cannot start " + program + ": the child vanished");
  }
  return fail(ErrorCode::kUnavailable,
              errno_text("cannot start " + program + ": " + stage_text(child_report.stage),
                         child_report.error));
}

}  // namespace

Result<Child> spawn(const SpawnSpec& spec, ProcessGuard& guard) {
  auto output = make_pipe();
  auto go = make_socket_pipe();
  auto report = make_pipe();
  if (!output) return std::unexpected(output.error());
  if (!go) return std::unexpected(go.error());
  if (!report) return std::unexpected(report.error());
  UniqueFd input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!input.valid()) return fail(ErrorCode::kUnavailable, errno_text("/dev/null", errno));

  std::vector<char*> argv = pointers(spec.args);
  std::vector<char*> envp = pointers(spec.env);
  const ChildPlan plan{spec.program.c_str(), argv.data(),    envp.data(),
                       spec.cwd.c_str(),     ::getpid(),     output->write.get(),
                       input.get(),          go->read.get(), report->write.get()};
  pid_t pid = fork_blocked(plan);
  if (pid < 0) return fail(ErrorCode::kUnavailable, errno_text("cannot fork", errno));
  ::setpgid(pid, pid);  // also done by the child: whichever runs first wins the race
  output->write.reset();
  go->read.reset();
  report->write.reset();
  input.reset();

  Child child;
  child.pid = pid;
  child.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (auto released = release_child(pid, *go, *report, guard, spec.program); !released) {
    return std::unexpected(released.error());
  }
  ::fcntl(output->read.get(), F_SETFL, ::fcntl(output->read.get(), F_GETFL) | O_NONBLOCK);
  child.output = std::move(output->read);
  return child;
}

}  // namespace tandem::local_exec
