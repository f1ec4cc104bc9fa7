// The local executor with real processes: exit statuses, output, environment, files.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "executor/executor.h"
#include "test_util.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_to_end;

class LocalExecutorTest : public ::testing::Test {
 protected:
  RunRequest request(std::string script) const {
    RunRequest r;
    r.script = std::move(script);
    r.workdir = dir_ / "work";
    r.log_path = dir_ / "logs/run.log";
    return r;
  }

  // Starts `r`, runs it to the end and destroys the execution.
  RunOutcome run(const RunRequest& r) {
    auto execution = executor_->start(r);
    if (!execution) {
      ADD_FAILURE() << execution.error().to_string();
      return {};
    }
    return run_to_end(**execution);
  }

  testing::TempDir dir_;
  std::unique_ptr<Executor> executor_ = make_local_executor();
};

TEST_F(LocalExecutorTest, RecordsExitCodeZero) {
  RunOutcome outcome = run(request("true"));
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.term_signal);
}

TEST_F(LocalExecutorTest, RecordsExitCodeThree) {
  EXPECT_EQ(run(request("echo before; exit 3; echo after")).exit_code, 3);
}

TEST_F(LocalExecutorTest, RecordsDeathBySignal) {
  RunOutcome outcome = run(request("kill -KILL $$"));
  EXPECT_FALSE(outcome.exit_code);
  EXPECT_EQ(outcome.term_signal, SIGKILL);
}

TEST_F(LocalExecutorTest, WritesOutputToTheLogExactly) {
  RunRequest r = request("printf 'a\\nb\\n'; printf 'c'");
  RunOutcome outcome = run(r);
  EXPECT_EQ(read_file(r.log_path), "a\nb\nc");
  EXPECT_EQ(outcome.output_tail, "a\nb\nc");
  EXPECT_EQ(outcome.output_bytes, 5);
}

TEST_F(LocalExecutorTest, MergesStderrInOrder) {
  RunRequest r = request("echo out; echo err >&2; echo out2; echo err2 1>&2");
  run(r);
  EXPECT_EQ(read_file(r.log_path), "out\nerr\nout2\nerr2\n");
}

TEST_F(LocalExecutorTest, TruncatesAnExistingLog) {
  RunRequest r = request("echo new");
  fs::create_directories(fs::path(r.log_path).parent_path());
  std::ofstream(r.log_path) << "old content that is longer\n";
  run(r);
  EXPECT_EQ(read_file(r.log_path), "new\n");
}

TEST_F(LocalExecutorTest, PassesEnvironmentAddedToTheWorkers) {
  ::setenv("TANDEM_TEST_INHERITED", "from-worker", 1);
  ::setenv("TANDEM_TEST_OVERRIDDEN", "from-worker", 1);
  RunRequest r = request(
      "echo \"$TANDEM_JOB_ID|$TANDEM_ATTEMPT|$TANDEM_TEST_INHERITED|$TANDEM_TEST_OVERRIDDEN\"");
  r.env = {{"TANDEM_JOB_ID", "job 7"}, {"TANDEM_ATTEMPT", "2"}, {"TANDEM_TEST_OVERRIDDEN", "job"}};
  run(r);
  ::unsetenv("TANDEM_TEST_INHERITED");
  ::unsetenv("TANDEM_TEST_OVERRIDDEN");
  EXPECT_EQ(read_file(r.log_path), "job 7|2|from-worker|job\n");
}

TEST_F(LocalExecutorTest, RefusesAnInvalidEnvironmentName) {
  RunRequest r = request("true");
  r.env = {{"A=B", "x"}};
  auto execution = executor_->start(r);
  ASSERT_FALSE(execution);
  EXPECT_EQ(execution.error().code, ErrorCode::kInvalid);
  EXPECT_FALSE(fs::exists(r.workdir));
}

TEST_F(LocalExecutorTest, RunsInTheFreshWorkdirWithNullStdinAndOnlyStdio) {
  RunRequest r = request("pwd -P; ls -A | wc -l; cat; echo \"stdin:$?\"; ls /proc/$$/fd");
  run(r);
  const std::string workdir = (fs::canonical(dir_.path()) / "work").string();
  EXPECT_EQ(read_file(r.log_path), workdir + "\n0\nstdin:0\n0\n1\n2\n");
}

TEST_F(LocalExecutorTest, ResetsSignalMaskAndDispositions) {
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGUSR1, &ignore, &old);
  sigset_t block;
  sigset_t old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  RunRequest r = request("grep -E '^(SigBlk|SigIgn)' /proc/self/status");
  auto execution = executor_->start(r);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_TRUE(execution) << execution.error().to_string();
  run_to_end(**execution);
  EXPECT_EQ(read_file(r.log_path), "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_F(LocalExecutorTest, RemovesTheWorkdirEvenWhenTheJobLockedIt) {
  RunRequest r =
      request("mkdir -p a/b && touch a/b/f && chmod 500 a/b && chmod 000 a && ln -s / up");
  run(r);
  EXPECT_FALSE(fs::exists(fs::symlink_status(r.workdir)));
  EXPECT_TRUE(fs::exists("/"));
}

TEST_F(LocalExecutorTest, KeepsTheWorkdirWhenAsked) {
  RunRequest r = request("echo kept > file");
  r.keep_workdir = true;
  run(r);
  EXPECT_EQ(read_file(r.workdir + "/file"), "kept\n");
}

TEST_F(LocalExecutorTest, RefusesAnExistingWorkdirAndLeavesItAlone) {
  RunRequest r = request("true");
  fs::create_directories(r.workdir);
  std::ofstream(r.workdir + "/mine") << "x";
  auto execution = executor_->start(r);
  ASSERT_FALSE(execution);
  EXPECT_EQ(execution.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(execution.error().message.find("already exists"), std::string::npos);
  EXPECT_TRUE(fs::exists(r.workdir + "/mine"));
}

TEST_F(LocalExecutorTest, SeesTheSuccessStringSplitAcrossWrites) {
  RunRequest r = request("printf Hel; sleep 0.1; printf lo");
  r.success_string = "Hello";
  EXPECT_TRUE(run(r).success_string_seen);
}

TEST_F(LocalExecutorTest, DoesNotSeeAnAbsentSuccessString) {
  RunRequest r = request("echo Hell; echo o; echo hello");
  r.success_string = "Hello";
  EXPECT_FALSE(run(r).success_string_seen);
}

long max_rss_kib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST_F(LocalExecutorTest, StreamsLargeOutputWithBoundedMemory) {
  constexpr long long kBytes = 50LL * 1024 * 1024;
  RunRequest r = request("head -c " + std::to_string(kBytes - 3) + " /dev/zero; printf END");
  const long rss_before = max_rss_kib();
  RunOutcome outcome = run(r);
  EXPECT_LT(max_rss_kib() - rss_before, 16 * 1024) << "KiB of peak memory growth";
  EXPECT_EQ(outcome.output_bytes, kBytes);
  EXPECT_EQ(static_cast<long long>(fs::file_size(r.log_path)), kBytes);
  ASSERT_EQ(outcome.output_tail.size(), 64u * 1024);
  EXPECT_EQ(outcome.output_tail, std::string(64 * 1024 - 3, '\0') + "END");
}

TEST_F(LocalExecutorTest, RunsAScriptLongerThan64KiB) {
  std::string script;
  for (int i = 0; script.size() <= 100 * 1024; ++i) script += "x=" + std::to_string(i) + "\n";
  script += "echo \"last $x\"\n";
  RunRequest r = request(script);
  auto execution = executor_->start(r);
  ASSERT_TRUE(execution) << execution.error().to_string();
  EXPECT_TRUE(fs::exists(r.workdir + ".script"));
  EXPECT_EQ(run_to_end(**execution).exit_code, 0);
  execution->reset();
  EXPECT_NE(read_file(r.log_path).find("last "), std::string::npos);
  EXPECT_FALSE(fs::exists(r.workdir + ".script"));
}

TEST_F(LocalExecutorTest, PowerShellMissingIsInvalid) {
  RunRequest r = request("Write-Output hi");
  r.powershell = true;
  r.env = {{"PATH", dir_ / "empty-bin"}};
  auto execution = executor_->start(r);
  ASSERT_FALSE(execution);
  EXPECT_EQ(execution.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(execution.error().message, "PowerShell (pwsh) is not installed on this worker");
  EXPECT_FALSE(fs::exists(r.workdir));
}

TEST_F(LocalExecutorTest, PowerShellMissingFromTheWorkersPathIsInvalid) {
  RunRequest r = request("Write-Output hi");
  r.powershell = true;
  auto execution = executor_->start(r);
  if (execution) GTEST_SKIP() << "pwsh is installed on this machine";
  EXPECT_EQ(execution.error().code, ErrorCode::kInvalid);
}

TEST_F(LocalExecutorTest, ReportsAnExecFailure) {
  fs::create_directories(dir_ / "bin");
  const std::string fake = dir_ / "bin/pwsh";
  std::ofstream(fake) << "not a program";
  fs::permissions(fake, fs::perms::owner_all);
  RunRequest r = request("Write-Output hi");
  r.powershell = true;
  r.env = {{"PATH", dir_ / "bin"}};
  auto execution = executor_->start(r);
  ASSERT_FALSE(execution);
  EXPECT_EQ(execution.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(execution.error().message.find("exec: Exec format error"), std::string::npos)
      << execution.error().message;
  EXPECT_FALSE(fs::exists(r.workdir));
  EXPECT_FALSE(fs::exists(r.workdir + ".ps1"));
}

TEST_F(LocalExecutorTest, ReportsALogWriteFailureOnceAndGoesOn) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  RunRequest r = request("echo hello; exit 4");
  r.log_path = "/dev/full";
  auto execution = executor_->start(r);
  ASSERT_TRUE(execution) << execution.error().to_string();
  int errors = 0;
  std::optional<RunOutcome> outcome;
  const Millis deadline = steady_millis() + 5000;
  while (!outcome && steady_millis() < deadline) {
    auto result = (*execution)->wait(100);
    if (!result) {
      ++errors;
      EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
    } else {
      outcome = *result;
    }
  }
  EXPECT_EQ(errors, 1);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->exit_code, 4);
  EXPECT_EQ(outcome->output_tail, "hello\n");
}

TEST_F(LocalExecutorTest, WaitZeroReturnsAtOnceWhileRunning) {
  auto execution = executor_->start(request("sleep 5"));
  ASSERT_TRUE(execution);
  const Millis start = steady_millis();
  auto result = (*execution)->wait(0);
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
  EXPECT_LT(steady_millis() - start, 500);
}

TEST_F(LocalExecutorTest, StartsFromSeveralThreadsAtOnce) {
  constexpr int kThreads = 4;
  std::vector<std::optional<int>> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      RunRequest r = request("exit " + std::to_string(i + 10));
      r.workdir = dir_ / ("work" + std::to_string(i));
      r.log_path = dir_ / ("log" + std::to_string(i));
      auto execution = executor_->start(r);
      if (execution) codes[i] = run_to_end(**execution).exit_code;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(codes[i], i + 10);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

class LazyLogTest : public LocalExecutorTest {};

TEST_F(LazyLogTest, AShortQuietRunLeavesNoLogFileAndKeepsAllItsOutput) {
  RunRequest r = request("echo quick");
  r.log_after_ms = 60'000;
  RunOutcome outcome = run(r);
  EXPECT_EQ(outcome.output_tail, "quick\n");
  EXPECT_FALSE(fs::exists(r.log_path));
}

TEST_F(LazyLogTest, OutputPastTheTailSizeGoesToTheLogWhole) {
  RunRequest r = request("head -c 200000 /dev/zero | tr '\\0' x; echo; echo end");
  r.log_after_ms = 60'000;
  RunOutcome outcome = run(r);
  ASSERT_TRUE(fs::exists(r.log_path));
  EXPECT_EQ(fs::file_size(r.log_path), 200000u + 1 + 4);
  EXPECT_EQ(read_file(r.log_path).substr(199990), std::string(10, 'x') + "\nend\n");
  EXPECT_EQ(outcome.output_bytes, 200005);
}

TEST_F(LazyLogTest, ALongRunGetsItsLogWithWhatItPrintedSoFar) {
  const std::string go = dir_ / "go";
  RunRequest r = request("echo early; while [ ! -e " + go + " ]; do sleep 0.01; done; echo late");
  r.log_after_ms = 100;
  auto execution = executor_->start(r);
  ASSERT_TRUE(execution) << execution.error().to_string();
  EXPECT_TRUE(testing::eventually([&] {
    (void)(*execution)->wait(20);
    return read_file(r.log_path) == "early\n";
  }));
  std::ofstream(go) << "";
  RunOutcome outcome = run_to_end(**execution);
  EXPECT_EQ(read_file(r.log_path), "early\nlate\n");
  EXPECT_EQ(outcome.exit_code, 0);
}

}  // namespace
}  // namespace tandem
