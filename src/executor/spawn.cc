#include "executor/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
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

// Everything the child needs, prepared before the vfork: the child shares this process's
// memory until it execs, so it only makes system calls on what is here.
struct ChildPlan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  pid_t parent;
  int output;  // write end of the output pipe
  int input;   // /dev/null
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
  // Until the parent has registered the group with the guard (right after the exec), the
  // shell dies with the thread that started it. That thread runs the job to its end.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(plan, Stage::kSetup);
  if (::getppid() != plan.parent) ::_exit(127);  // the parent died before prctl
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

void reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// vforks with every signal blocked, so that no handler of this process runs in the
// child before it has reset them. Returns the child's pid once it has exec'd or exited
// (-1 if it could not be started).
pid_t vfork_blocked(const ChildPlan& plan) {
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::vfork();
  if (pid == 0) run_child(plan);
  int saved = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return pid;
}

// After the vfork: reads what the child reported (nothing: it exec'd), then registers
// its group with the guard. Returns the failure, if any; the child is then reaped.
Result<void> register_child(pid_t pid, Pipe& report, ProcessGuard& guard,
                            const std::string& program) {
  Report child_report{};
  ssize_t n;
  while ((n = ::read(report.read.get(), &child_report, sizeof child_report)) < 0 &&
         errno == EINTR) {
  }
  if (n == 0) {
    if (auto added = guard.add(pid); !added) {
      ::kill(-pid, SIGKILL);
      reap(pid);
      return added;
    }
    return {};
  }
  ::kill(pid, SIGKILL);
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
  auto report = make_pipe();
  if (!output) return std::unexpected(output.error());
  if (!report) return std::unexpected(report.error());
  UniqueFd input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!input.valid()) return fail(ErrorCode::kUnavailable, errno_text("/dev/null", errno));

  std::vector<char*> argv = pointers(spec.args);
  std::vector<char*> envp = pointers(spec.env);
  const ChildPlan plan{spec.program.c_str(), argv.data(), envp.data(),
                       spec.cwd.c_str(),     ::getpid(),  output->write.get(),
                       input.get(),          report->write.get()};
  pid_t pid = vfork_blocked(plan);
  if (pid < 0) return fail(ErrorCode::kUnavailable, errno_text("cannot fork", errno));
  output->write.reset();
  report->write.reset();
  input.reset();

  Child child;
  child.pid = pid;
  child.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (auto registered = register_child(pid, *report, guard, spec.program); !registered) {
    return std::unexpected(registered.error());
  }
  ::fcntl(output->read.get(), F_SETFL, ::fcntl(output->read.get(), F_GETFL) | O_NONBLOCK);
  child.output = std::move(output->read);
  return child;
}

}  // namespace tandem::local_exec
