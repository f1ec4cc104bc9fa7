// Ending a job's whole process tree: on terminate(), on the shell's exit, on destruction.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "executor/executor.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::eventually;
using testing::process_gone;
using testing::read_file;
using testing::read_pid_file;
using testing::run_to_end;

class KillTreeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Execution> start(const std::string& script) {
    RunRequest r;
    r.script = script;
    r.workdir = dir_ / "work";
    r.log_path = log_;
    auto execution = executor_->start(r);
    if (!execution) {
      ADD_FAILURE() << execution.error().to_string();
      return nullptr;
    }
    return std::move(*execution);
  }

  // Pumps output until the log says "ready".
  bool wait_for_ready(Execution& execution) const {
    return eventually([&] {
      (void)execution.wait(0);
      return read_file(log_) == "ready\n";
    });
  }

  // Records the pid of a background process, writing the file in one go.
  std::string background(const std::string& command) const {
    return command + " & echo $! > " + pid_file_ + "; ";
  }

  testing::TempDir dir_;
  std::string log_ = dir_ / "run.log";
  std::string pid_file_ = dir_ / "pid";
  std::unique_ptr<Executor> executor_ = make_local_executor();
};

TEST_F(KillTreeTest, TerminateKillsTheShellAndAGrandchildIgnoringSigterm) {
  auto execution = start(background("sh -c 'trap \"\" TERM; sleep 1000'") + "wait");
  ASSERT_TRUE(execution);
  const pid_t grandchild = read_pid_file(pid_file_);
  ASSERT_GT(grandchild, 0);
  execution->terminate(5000);
  RunOutcome outcome = run_to_end(*execution, 3000);
  EXPECT_EQ(outcome.term_signal, SIGTERM);
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }, 3000));
}

TEST_F(KillTreeTest, SigkillFollowsOnceTheGraceHasPassed) {
  auto execution = start("trap '' TERM; echo ready; sleep 1000");
  ASSERT_TRUE(execution);
  ASSERT_TRUE(wait_for_ready(*execution));
  const Millis start = steady_millis();
  execution->terminate(200);
  execution->terminate(60000);  // repeating does not extend the grace
  auto result = execution->wait(5000);
  const Millis elapsed = steady_millis() - start;
  ASSERT_TRUE(result);
  ASSERT_TRUE(*result) << "wait() did not wake up for the SIGKILL deadline";
  EXPECT_EQ((*result)->term_signal, SIGKILL);
  EXPECT_GE(elapsed, 200);
  EXPECT_LT(elapsed, 2000);
}

TEST_F(KillTreeTest, ZeroGraceKillsAtOnce) {
  auto execution = start("trap '' TERM; echo ready; sleep 1000");
  ASSERT_TRUE(execution);
  ASSERT_TRUE(wait_for_ready(*execution));
  execution->terminate(0);
  EXPECT_EQ(run_to_end(*execution, 2000).term_signal, SIGKILL);
}

TEST_F(KillTreeTest, KillsABackgroundGrandchildWhenTheShellExits) {
  auto execution = start(background("sleep 1000") + "echo done");
  ASSERT_TRUE(execution);
  const Millis start = steady_millis();
  RunOutcome outcome = run_to_end(*execution, 3000);
  EXPECT_LT(steady_millis() - start, 1500) << "the drain should not wait for its limit";
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.output_tail, "done\n");
  const pid_t grandchild = read_pid_file(pid_file_, 0);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }, 3000));
}

TEST_F(KillTreeTest, DestroyingARunningExecutionKillsTheTreeAndRemovesTheWorkdir) {
  auto execution = start(background("sleep 1000") + "wait");
  ASSERT_TRUE(execution);
  const pid_t grandchild = read_pid_file(pid_file_);
  ASSERT_GT(grandchild, 0);
  const pid_t shell = execution->pid();
  execution.reset();
  EXPECT_TRUE(process_gone(shell));
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }, 3000));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "work"));
}

}  // namespace
}  // namespace tandem
