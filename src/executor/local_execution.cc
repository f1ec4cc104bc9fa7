#include "executor/local_execution.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <utility>

namespace tandem::local_exec {
namespace {

namespace fs = std::filesystem;

// How long to keep reading after the whole group was killed. Normally the pipe reaches
// end-of-file at once; only a process that left the group can hold it open longer.
constexpr Millis kDrainLimitMs = 2000;
// Without a pidfd, how often to look whether the shell has exited.
constexpr Millis kExitPollMs = 20;
constexpr std::size_t kReadBytes = 64 * 1024;
// Longer waits and graces are cut to this (about 30 years), so deadlines cannot overflow.
constexpr Millis kForeverMs = 1'000'000'000'000;

Millis bounded(Millis ms) { return std::clamp<Millis>(ms, 0, kForeverMs); }

// Writes all of `data`; returns 0 or the errno of the failure.
int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

int to_poll_timeout(Millis ms) { return static_cast<int>(std::clamp<Millis>(ms, 0, INT_MAX)); }

void make_writable(const fs::path& root) {
  std::error_code ec;
  const auto add = fs::perm_options::add | fs::perm_options::nofollow;
  fs::permissions(root, fs::perms::owner_all, add, ec);
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->symlink_status(ec).type() == fs::file_type::directory) {
      fs::permissions(it->path(), fs::perms::owner_all, add, ec);
    }
  }
}

}  // namespace

// Removes `dir` with everything in it, or with `keep_dir` only what is in it.
void remove_tree(const fs::path& dir, bool keep_dir, std::error_code& ec) {
  if (!keep_dir) {
    fs::remove_all(dir, ec);
    return;
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    fs::remove_all(it->path(), ec);
    if (ec) return;
  }
}

void remove_run_files(const RunFiles& files) {
  if (files.keep) return;
  std::error_code ec;
  remove_tree(files.workdir, files.reuse, ec);
  if (ec) {
    make_writable(files.workdir);
    ec.clear();
    remove_tree(files.workdir, files.reuse, ec);
  }
  if (!files.script_file.empty()) fs::remove(files.script_file, ec);
}

Result<UniqueFd> open_log(const std::string& path) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  UniqueFd fd(::open(path.c_str(), kFlags, 0644));
  if (!fd.valid() && errno == ENOENT && fs::path(path).has_parent_path()) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec)
      return fail(ErrorCode::kUnavailable,
                  "cannot create the log's directory for " + path + ": " + ec.message());
    fd = UniqueFd(::open(path.c_str(), kFlags, 0644));
  }
  if (!fd.valid())
    return fail(ErrorCode::kUnavailable,
                "cannot open the log " + path + ": " + std::strerror(errno));
  return fd;
}

LocalExecution::LocalExecution(Child child, RunFiles files, Millis log_after_ms,
                               std::string success_string, std::shared_ptr<ProcessGuard> guard)
    : child_(std::move(child)),
      open_log_at_(steady_millis() + bounded(log_after_ms)),
      files_(std::move(files)),
      guard_(std::move(guard)),
      watch_(std::move(success_string)),
      buffer_(kReadBytes) {
  if (log_after_ms <= 0) open_log_when_due();
}

LocalExecution::~LocalExecution() {
  if (!reaped_) {
    ::kill(-child_.pid, SIGKILL);
    siginfo_t info{};
    int r;
    while ((r = ::waitid(P_PID, static_cast<id_t>(child_.pid), &info, WEXITED | WNOWAIT)) < 0 &&
           errno == EINTR) {
    }
    guard_->remove(child_.pid);
    if (r == 0) ::waitpid(child_.pid, nullptr, 0);
  }
  child_.output.reset();
  child_.pidfd.reset();
  log_.reset();
  remove_run_files(files_);
}

Result<std::optional<RunOutcome>> LocalExecution::wait(Millis wait_ms) {
  if (outcome_) return report(outcome_);
  const Millis deadline = steady_millis() + bounded(wait_ms);
  bool polled = false;
  for (;;) {
    enforce_kill_deadline();
    if (!log_.valid() && steady_millis() >= open_log_at_) open_log_when_due();
    if (Exit exit = check_exit(); exit != Exit::kRunning) {
      finish(exit);
      return report(outcome_);
    }
    if (polled && steady_millis() >= deadline) return report(std::nullopt);
    poll_once(poll_timeout(deadline));
    polled = true;
  }
}

void LocalExecution::terminate(Millis grace_ms) {
  if (reaped_) return;
  const Millis at = steady_millis() + bounded(grace_ms);
  if (kill_at_) {
    kill_at_ = std::min(*kill_at_, at);
  } else {
    ::kill(-child_.pid, SIGTERM);
    kill_at_ = at;
  }
  enforce_kill_deadline();
}

// Waits up to `timeout_ms` for output or the shell's exit, and reads one chunk.
void LocalExecution::poll_once(Millis timeout_ms) {
  pollfd fds[2];
  nfds_t count = 0;
  if (child_.output.valid()) fds[count++] = pollfd{child_.output.get(), POLLIN, 0};
  if (child_.pidfd.valid()) fds[count++] = pollfd{child_.pidfd.get(), POLLIN, 0};
  if (::poll(fds, count, to_poll_timeout(timeout_ms)) <= 0) return;
  if (child_.output.valid() && fds[0].revents != 0) read_output();
}

// Reads one chunk. False once the pipe is at end-of-file (or broken): it is then closed.
bool LocalExecution::read_output() {
  ssize_t n = ::read(child_.output.get(), buffer_.data(), buffer_.size());
  if (n > 0) {
    record(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  child_.output.reset();
  return false;
}

void LocalExecution::record(std::string_view chunk) {
  watch_.feed(chunk);
  if (log_.valid()) {
    write_log(chunk);
    return;
  }
  if (log_error_) return;
  pending_.append(chunk);
  if (pending_.size() > OutputWatch::kDefaultTailBytes) open_log_when_due();
}

// Opens the log and writes what waited for it.
void LocalExecution::open_log_when_due() {
  if (log_.valid() || log_error_) return;
  auto log = open_log(files_.log_path);
  if (!log) {
    log_error_ = log.error();
  } else {
    log_ = std::move(*log);
    write_log(pending_);
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

void LocalExecution::write_log(std::string_view data) {
  if (log_error_ || data.empty()) return;
  if (int error = write_all(log_.get(), data); error != 0) {
    log_error_ = Error{ErrorCode::kUnavailable,
                       "cannot write the log " + files_.log_path + ": " + std::strerror(error)};
  }
}

// Looks whether the shell has exited, without reaping it: while it is a zombie its pid,
// which is also the group's id, cannot be reused.
LocalExecution::Exit LocalExecution::check_exit() {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(child_.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
    return info.si_pid != 0 ? Exit::kExited : Exit::kRunning;
  }
  return errno == EINTR ? Exit::kRunning : Exit::kLost;
}

void LocalExecution::enforce_kill_deadline() {
  if (kill_at_ && !killed_ && steady_millis() >= *kill_at_) {
    ::kill(-child_.pid, SIGKILL);
    killed_ = true;
  }
}

Millis LocalExecution::poll_timeout(Millis deadline) const {
  const Millis now = steady_millis();
  Millis timeout = deadline - now;
  if (!log_.valid() && !log_error_) timeout = std::min(timeout, open_log_at_ - now);
  if (kill_at_ && !killed_) timeout = std::min(timeout, *kill_at_ - now);
  if (!child_.pidfd.valid()) timeout = std::min(timeout, kExitPollMs);
  return std::max<Millis>(timeout, 0);
}

void LocalExecution::finish(Exit exit) {
  // kLost: someone else reaped the shell (SIGCHLD ignored?); its pid may be reused, so
  // the group is not signalled and the exit status is unknown.
  if (exit == Exit::kExited) ::kill(-child_.pid, SIGKILL);
  drain(kDrainLimitMs);
  guard_->remove(child_.pid);
  RunOutcome outcome;
  if (exit == Exit::kExited) reap_into(outcome);
  reaped_ = true;
  outcome.success_string_seen = watch_.seen();
  outcome.output_tail = watch_.tail();
  outcome.output_bytes = watch_.bytes();
  outcome_ = std::move(outcome);
  log_.reset();
}

// Reads until end-of-file, for at most `limit_ms`; then closes the pipe.
void LocalExecution::drain(Millis limit_ms) {
  const Millis deadline = steady_millis() + limit_ms;
  while (child_.output.valid()) {
    const Millis left = deadline - steady_millis();
    if (left <= 0) break;
    pollfd fd{child_.output.get(), POLLIN, 0};
    if (::poll(&fd, 1, to_poll_timeout(left)) > 0) read_output();
  }
  child_.output.reset();
}

void LocalExecution::reap_into(RunOutcome& outcome) {
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(child_.pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (r != child_.pid) return;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.term_signal = WTERMSIG(status);
}

Result<std::optional<RunOutcome>> LocalExecution::report(std::optional<RunOutcome> outcome) {
  if (log_error_ && !log_error_reported_) {
    log_error_reported_ = true;
    return std::unexpected(*log_error_);
  }
  return outcome;
}

}  // namespace tandem::local_exec
