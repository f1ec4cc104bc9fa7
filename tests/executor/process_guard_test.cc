// The process guard kills registered process groups when its owner goes away.
#include "executor/process_guard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "executor/executor.h"
#include "test_util.h"

namespace tandem {
namespace {

using local_exec::ProcessGuard;
using testing::eventually;
using testing::process_gone;
using testing::read_pid_file;

// Forks `sleep 1000` as the leader of its own process group, output to /dev/null (so
// that a leftover cannot hold the test runner's pipe open).
pid_t start_group() {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execlp("sleep", "sleep", "1000", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

// True once `pid`, our child, has been killed by SIGKILL. Reaps it in any case.
bool killed(pid_t pid) {
  int status = 0;
  const bool died = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 3000);
  if (!died) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return false;
  }
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

TEST(ProcessGuard, DestroyingItKillsTheGroupsStillRegistered) {
  const pid_t kept = start_group();
  const pid_t removed = start_group();
  {
    auto guard = ProcessGuard::start();
    ASSERT_TRUE(guard) << guard.error().to_string();
    ASSERT_TRUE((*guard)->add(kept));
    ASSERT_TRUE((*guard)->add(removed));
    (*guard)->remove(removed);
  }
  EXPECT_TRUE(killed(kept));
  int status = 0;
  EXPECT_EQ(::waitpid(removed, &status, WNOHANG), 0) << "an unregistered group was killed";
  ::kill(removed, SIGKILL);
  ::waitpid(removed, &status, 0);
}

TEST(ProcessGuard, IgnoresTerminationSignals) {
  const pid_t group = start_group();
  auto guard = ProcessGuard::start();
  ASSERT_TRUE(guard);
  ASSERT_TRUE((*guard)->add(group));
  ::kill((*guard)->pid(), SIGTERM);
  ::kill((*guard)->pid(), SIGINT);
  ::kill((*guard)->pid(), SIGHUP);
  const std::string status =
      testing::read_file("/proc/" + std::to_string((*guard)->pid()) + "/status");
  const std::size_t at = status.find("SigIgn:\t");
  ASSERT_NE(at, std::string::npos);
  const unsigned long long ignored = std::stoull(status.substr(at + 8, 16), nullptr, 16);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE})
    EXPECT_TRUE(ignored & (1ULL << (sig - 1))) << sig;
  guard->reset();
  EXPECT_TRUE(killed(group));
}

TEST(ProcessGuard, AGoneGuardMakesStartFail) {
  auto guard = ProcessGuard::start();
  ASSERT_TRUE(guard);
  ::kill((*guard)->pid(), SIGKILL);
  EXPECT_TRUE(eventually([&] { return !(*guard)->add(12345); }, 3000));
  const auto result = (*guard)->add(12345);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
}

// The owner of an executor starts a job with a background grandchild and is then killed
// with SIGKILL: the guard must kill the job's process group.
TEST(ProcessGuard, KillsTheJobWhenItsOwnerIsKilled) {
  testing::TempDir dir;
  const std::string pid_file = dir / "pid";
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    auto executor = make_local_executor();
    RunRequest r;
    r.script = "sleep 1000 & echo $! > " + pid_file + "; wait";
    r.workdir = dir / "work";
    r.log_path = dir / "run.log";
    auto execution = executor->start(r);
    if (!execution) ::_exit(1);
    for (;;) (void)(*execution)->wait(1000);
  }
  const pid_t grandchild = read_pid_file(pid_file);
  ::kill(owner, SIGKILL);
  int status = 0;
  ::waitpid(owner, &status, 0);
  ASSERT_GT(grandchild, 0) << "the job did not start";
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }, 5000));
}

}  // namespace
}  // namespace tandem
