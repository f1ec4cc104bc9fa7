#include "executor/process_guard.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::local_exec {
namespace {

// Closes every descriptor except `keep`.
void close_all_but(int keep) {
  if (keep > 0) ::close_range(0, static_cast<unsigned>(keep - 1), 0);
  ::close_range(static_cast<unsigned>(keep + 1), ~0U, 0);
}

void ignore_stop_signals() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU}) {
    ::sigaction(sig, &ignore, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Applies one message "+PGID\n" or "-PGID\n" to `groups`.
void apply(std::string_view message, std::vector<pid_t>& groups) {
  if (message.size() < 2) return;
  pid_t pgid = 0;
  for (char c : message.substr(1)) {
    if (c < '0' || c > '9') break;
    pgid = pgid * 10 + (c - '0');
  }
  if (pgid <= 1) return;
  if (message[0] == '+') {
    groups.push_back(pgid);
  } else if (message[0] == '-') {
    std::erase(groups, pgid);
  }
}

// The guard process. `groups` was allocated before the fork, so the common case
// allocates nothing here.
[[noreturn]] void guard_main(int channel, std::vector<pid_t> groups) {
  ::setpgid(0, 0);  // a kill aimed at the owner's process group must not hit the guard
  ignore_stop_signals();
  close_all_but(channel);
  const char ready = 'r';
  if (::send(channel, &ready, 1, MSG_NOSIGNAL) != 1) ::_exit(1);
  char buffer[64];
  for (;;) {
    ssize_t n = ::recv(channel, buffer, sizeof buffer, 0);
    if (n > 0) {
      apply(std::string_view(buffer, static_cast<std::size_t>(n)), groups);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  for (pid_t pgid : groups) ::kill(-pgid, SIGKILL);
  ::_exit(0);
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

// A SOCK_SEQPACKET socket pair rather than a pipe: every message arrives whole and
// alone (like a pipe write under PIPE_BUF), and send(MSG_NOSIGNAL) reports a dead guard
// as EPIPE instead of raising SIGPIPE in this process.
Result<std::shared_ptr<ProcessGuard>> ProcessGuard::start() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail(ErrorCode::kUnavailable, errno_text("process guard: socketpair"));
  }
  UniqueFd mine(fds[0]);
  UniqueFd theirs(fds[1]);
  std::vector<pid_t> groups;
  groups.reserve(1024);
  pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorCode::kUnavailable, errno_text("process guard: fork"));
  if (pid == 0) guard_main(theirs.get(), std::move(groups));
  theirs.reset();
  auto guard = std::make_shared<ProcessGuard>(pid, std::move(mine));
  if (!guard->await_ready()) {
    return fail(ErrorCode::kUnavailable, "process guard: exited before it was ready");
  }
  return guard;
}

ProcessGuard::ProcessGuard(pid_t guard_pid, UniqueFd channel)
    : pid_(guard_pid), channel_(std::move(channel)) {}

ProcessGuard::~ProcessGuard() {
  channel_.reset();
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// The guard says one byte once it ignores signals and holds no descriptor of ours.
bool ProcessGuard::await_ready() {
  char ready = 0;
  ssize_t n;
  while ((n = ::recv(channel_.get(), &ready, 1, 0)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

Result<void> ProcessGuard::add(pid_t pgid) { return send('+', pgid); }

void ProcessGuard::remove(pid_t pgid) { (void)send('-', pgid); }

Result<void> ProcessGuard::send(char op, pid_t pgid) {
  const std::string message = op + std::to_string(pgid) + "\n";
  std::lock_guard lock(mutex_);
  for (;;) {
    ssize_t n = ::send(channel_.get(), message.data(), message.size(), MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(message.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    return fail(ErrorCode::kUnavailable,
                n < 0 ? errno_text("process guard is gone") : "process guard: short write");
  }
}

}  // namespace tandem::local_exec
