// The agent's pure state machine, transition by transition.
#include <gtest/gtest.h>

#include "agent/state_machine.h"
#include "job/parse.h"

namespace tandem::agent {
namespace {

Policy test_policy() {
  Policy p;
  p.backoff_base_ms = 1000;
  p.backoff_max_ms = 8000;
  p.idle_exit_ms = 0;
  p.receive_wait_ms = 1000;
  p.max_lost = 3;
  p.max_interrupted = 3;
  p.max_own_failures = 2;
  p.max_record_tries = 3;
  return p;
}

JobSpec spec(int retry = 3, std::string success = "", std::optional<double> timeout = {}) {
  JobSpec s;
  s.job_id = "Job1";
  s.retry = retry;
  s.success_string = std::move(success);
  s.commands = {"echo Hello World"};
  s.timeout_seconds = timeout;
  return s;
}

Message message(const JobSpec& s) { return Message{"m1", job_to_json(s).dump(), "r1", 1}; }

Attempt attempt(int n, Verdict v) {
  Attempt a;
  a.number = n;
  a.worker = "w";
  a.started_at = 1;
  a.ended_at = v == Verdict::kRunning ? 0 : 2;
  a.verdict = v;
  return a;
}

JobRecord record(const JobSpec& s, std::vector<Verdict> attempts = {}) {
  JobRecord r;
  r.spec = s;
  for (std::size_t i = 0; i < attempts.size(); ++i)
    r.attempts.push_back(attempt(static_cast<int>(i) + 1, attempts[i]));
  return r;
}

template <class T>
T only(const Step& step) {
  EXPECT_EQ(step.actions.size(), 1u) << step.log;
  const T* a = step.actions.empty() ? nullptr : std::get_if<T>(&step.actions.back());
  if (!a) throw std::runtime_error("unexpected action; log: " + step.log);
  return *a;
}

template <class P>
bool in(const Step& step) {
  return std::holds_alternative<P>(step.state.phase);
}

class Machine : public ::testing::Test {
 protected:
  Step feed(const Event& e) {
    step_ = transition(step_.state, e, now_, policy_);
    return step_;
  }
  // Drives a job from its message to a Running phase.
  void run_job(const JobSpec& s, std::vector<Verdict> earlier = {}) {
    feed(Started{});
    feed(Received{message(s)});
    feed(Loaded{record(s, earlier)});
    feed(AttemptBegun{});
    feed(Launched{});
    ASSERT_TRUE(in<Running>(step_)) << step_.log;
  }
  RunOutcome exit_with(int code, bool seen = false) {
    RunOutcome o;
    o.exit_code = code;
    o.success_string_seen = seen;
    o.output_tail = "Hello World\n";
    return o;
  }

  Policy policy_ = test_policy();
  Millis now_ = 1'000'000;
  Step step_{State{}, {}, {}};
};

TEST_F(Machine, StartsByReceiving) {
  EXPECT_EQ(only<Receive>(feed(Started{})).wait_ms, 1000);
  EXPECT_TRUE(in<Polling>(step_));
}

TEST_F(Machine, EmptyQueueReceivesAgainWithoutIdleExit) {
  feed(Started{});
  now_ += 3'600'000;
  only<Receive>(feed(QueueEmpty{}));
}

TEST_F(Machine, IdleExitAfterTheQueueStayedEmpty) {
  policy_.idle_exit_ms = 5000;
  feed(Started{});
  now_ += 4500;
  EXPECT_EQ(only<Receive>(feed(QueueEmpty{})).wait_ms, 500);  // waits only what is left
  now_ += 500;
  EXPECT_NE(only<Exit>(feed(QueueEmpty{})).reason.find("empty for 5s"), std::string::npos);
  EXPECT_TRUE(in<Stopped>(step_));
  EXPECT_FALSE(std::get<Stopped>(step_.state.phase).worker_fault);
}

TEST_F(Machine, DelayedRetriesKeepAnIdleAgentAlive) {
  policy_.idle_exit_ms = 5000;
  feed(Started{});
  now_ += 6000;
  only<Receive>(feed(QueueEmpty{1}));
  now_ += 4000;
  only<Receive>(feed(QueueEmpty{0}));
}

TEST_F(Machine, ReceiveFailureBacksOffAndTriesAgain) {
  feed(Started{});
  auto s = feed(Failed{Error{ErrorCode::kUnavailable, "db locked"}});
  ASSERT_EQ(s.actions.size(), 2u);
  EXPECT_GT(std::get<Pause>(s.actions[0]).ms, 0);
  std::get<Receive>(s.actions[1]);
  EXPECT_NE(s.log.find("db locked"), std::string::npos);
}

TEST_F(Machine, UnparseableMessageIsDeadLettered) {
  feed(Started{});
  auto dl = only<DeadLetter>(feed(Received{Message{"m9", "{not json", "r", 1}}));
  EXPECT_NE(dl.reason.find("not valid JSON"), std::string::npos);
  only<Receive>(feed(Done{}));
}

TEST_F(Machine, InvalidJobIsDeadLetteredWithTheParserMessage) {
  feed(Started{});
  auto dl = only<DeadLetter>(
      feed(Received{Message{"m9", R"({"job_id": "x", "commands": [], "timout": 1})", "r", 1}}));
  EXPECT_NE(dl.reason.find("timout"), std::string::npos);
}

TEST_F(Machine, ValidMessageLoadsTheJob) {
  feed(Started{});
  EXPECT_EQ(only<Load>(feed(Received{message(spec())})).spec, spec());
  EXPECT_TRUE(in<Loading>(step_));
}

TEST_F(Machine, DuplicateDeliveryOfAFinalJobIsRemovedWithoutRunning) {
  feed(Started{});
  feed(Received{message(spec())});
  JobRecord r = record(spec(), {Verdict::kSucceeded});
  r.status = Status::kSucceeded;
  only<Remove>(feed(Loaded{r}));
  only<Receive>(feed(Done{}));
}

TEST_F(Machine, CancelledBeforeItRanIsFinishedAndRemoved) {
  feed(Started{});
  feed(Received{message(spec())});
  JobRecord r = record(spec());
  r.cancel_requested = true;
  EXPECT_EQ(only<Finish>(feed(Loaded{r})).status, Status::kCancelled);
  only<Remove>(feed(Done{}));
  only<Receive>(feed(Done{}));
}

TEST_F(Machine, LoadFailureReleasesTheMessageWithBackoff) {
  feed(Started{});
  Message m = message(spec());
  m.receive_count = 3;
  feed(Received{m});
  EXPECT_EQ(only<Release>(feed(Failed{Error{ErrorCode::kUnavailable, "x"}})).delay_ms, 4000);
}

TEST_F(Machine, AFinalStatusThatCannotBeRecordedKeepsTheMessage) {
  feed(Started{});
  feed(Received{message(spec())});
  JobRecord r = record(spec());
  r.cancel_requested = true;
  only<Finish>(feed(Loaded{r}));
  auto s = feed(Failed{Error{ErrorCode::kUnavailable, "database is locked"}});
  only<Receive>(s);  // no Remove: the lease lapses and the job is looked at again
  EXPECT_NE(s.log.find("its message stays"), std::string::npos) << s.log;
}

TEST_F(Machine, AFinalStatusAlreadyRecordedElsewhereStillRemovesTheMessage) {
  feed(Started{});
  feed(Received{message(spec())});
  JobRecord r = record(spec());
  r.cancel_requested = true;
  feed(Loaded{r});
  only<Remove>(feed(Failed{Error{ErrorCode::kConflict, "already CANCELLED"}}));
}

TEST_F(Machine, OpenAttemptOfAVanishedWorkerIsNotChargedAndTheNextNumberFollows) {
  feed(Started{});
  feed(Received{message(spec(0))});
  auto begin = only<BeginAttempt>(feed(Loaded{record(spec(0), {Verdict::kRunning})}));
  EXPECT_EQ(begin.number, 2);  // retry 0, but the lost attempt does not count
}

TEST_F(Machine, TooManyLostAttemptsFailTheJob) {
  feed(Started{});
  feed(Received{message(spec())});
  auto fin = only<Finish>(
      feed(Loaded{record(spec(), {Verdict::kLost, Verdict::kLost, Verdict::kRunning})}));
  EXPECT_EQ(fin.status, Status::kFailed);
  EXPECT_NE(fin.reason.find("vanished 3 times"), std::string::npos);
}

TEST_F(Machine, TooManyInterruptionsFailTheJob) {
  feed(Started{});
  feed(Received{message(spec())});
  auto fin = only<Finish>(feed(
      Loaded{record(spec(), {Verdict::kInterrupted, Verdict::kInterrupted, Verdict::kInterrupted})}));
  EXPECT_NE(fin.reason.find("interrupted 3 times"), std::string::npos);
}

TEST_F(Machine, BeginConflictReleasesTheMessage) {
  feed(Started{});
  feed(Received{message(spec())});
  feed(Loaded{record(spec())});
  only<Release>(feed(Failed{Error{ErrorCode::kConflict, "raced"}}));
}

TEST_F(Machine, LaunchedJobRunsWithItsDeadline) {
  run_job(spec(0, "", 2.5));
  EXPECT_EQ(std::get<Running>(step_.state.phase).deadline, now_ + 2500);
  EXPECT_TRUE(step_.actions.empty());
}

TEST_F(Machine, SuccessIsRecordedThenRemoved) {
  run_job(spec());
  now_ += 10;
  auto rec = only<Record>(feed(Exited{exit_with(0)}));
  EXPECT_EQ(rec.status, Status::kSucceeded);
  EXPECT_EQ(rec.attempt.verdict, Verdict::kSucceeded);
  EXPECT_EQ(rec.attempt.number, 1);
  EXPECT_EQ(rec.attempt.ended_at - rec.attempt.started_at, 10);
  EXPECT_EQ(rec.attempt.output_tail, "Hello World\n");
  only<Remove>(feed(Done{}));
  only<Receive>(feed(Done{}));
}

TEST_F(Machine, SuccessStringDecidesAlongWithTheExitCode) {
  run_job(spec(3, "Hello EVERYONE"));
  auto rec = only<Record>(feed(Exited{exit_with(0, false)}));
  EXPECT_EQ(rec.attempt.verdict, Verdict::kFailed);
  EXPECT_NE(rec.attempt.reason.find("does not contain the success string"), std::string::npos);
  step_ = Step{State{}, {}, {}};
  run_job(spec(3, "Hello"));
  EXPECT_EQ(only<Record>(feed(Exited{exit_with(0, true)})).status, Status::kSucceeded);
  step_ = Step{State{}, {}, {}};
  run_job(spec(3, "Hello"));
  EXPECT_EQ(only<Record>(feed(Exited{exit_with(1, true)})).attempt.verdict, Verdict::kFailed);
}

TEST_F(Machine, FailureWithRetriesLeftIsReleasedWithBackoff) {
  run_job(spec(3), {Verdict::kFailed});
  auto rec = only<Record>(feed(Exited{exit_with(2)}));
  EXPECT_EQ(rec.status, Status::kPending);
  EXPECT_EQ(rec.attempt.number, 2);
  EXPECT_NE(rec.reason.find("retry 2 of 3"), std::string::npos);
  EXPECT_EQ(only<Release>(feed(Done{})).delay_ms, 2000);
  only<Receive>(feed(Done{}));
}

TEST_F(Machine, RetryThreeGivesFourAttempts) {
  run_job(spec(3), {Verdict::kFailed, Verdict::kLost, Verdict::kFailed, Verdict::kFailed});
  auto rec = only<Record>(feed(Exited{exit_with(1)}));
  EXPECT_EQ(rec.attempt.number, 5);
  EXPECT_EQ(rec.status, Status::kFailed);
  EXPECT_NE(rec.reason.find("failed 4 of 4 attempts"), std::string::npos);
  only<Remove>(feed(Done{}));
}

TEST_F(Machine, TimeoutTerminatesAndIsCharged) {
  run_job(spec(0, "", 1.0));
  now_ += 999;
  EXPECT_TRUE(feed(Tick{}).actions.empty());
  now_ += 1;
  only<Terminate>(feed(Tick{}));
  EXPECT_TRUE(feed(Tick{}).actions.empty());  // no second terminate
  RunOutcome killed;
  killed.term_signal = 15;
  auto rec = only<Record>(feed(Exited{killed}));
  EXPECT_EQ(rec.attempt.verdict, Verdict::kTimedOut);
  EXPECT_NE(rec.attempt.reason.find("timed out after 1s"), std::string::npos);
  EXPECT_EQ(rec.status, Status::kFailed);
}

TEST_F(Machine, CancelWhileRunningKillsAndEndsCancelled) {
  run_job(spec());
  only<Terminate>(feed(CancelRequested{}));
  auto rec = only<Record>(feed(Exited{exit_with(143)}));
  EXPECT_EQ(rec.attempt.verdict, Verdict::kCancelled);
  EXPECT_EQ(rec.status, Status::kCancelled);
  only<Remove>(feed(Done{}));
}

TEST_F(Machine, LostLeaseKillsAndLeavesTheMessageAlone) {
  run_job(spec());
  only<Terminate>(feed(LeaseLost{}));
  auto rec = only<Record>(feed(Exited{exit_with(143)}));
  EXPECT_EQ(rec.attempt.verdict, Verdict::kLost);
  EXPECT_EQ(rec.status, Status::kPending);
  only<Receive>(feed(Done{}));  // neither removed nor released
}

TEST_F(Machine, ShutdownWhilePollingExits) {
  feed(Started{});
  only<Exit>(feed(Shutdown{}));
  EXPECT_TRUE(in<Stopped>(step_));
}

TEST_F(Machine, ShutdownWhileRunningFinishesTheJobFirst) {
  run_job(spec());
  EXPECT_TRUE(feed(Shutdown{false, {}}).actions.empty());
  EXPECT_TRUE(in<Running>(step_));
  only<Record>(feed(Exited{exit_with(0)}));
  only<Remove>(feed(Done{}));
  only<Exit>(feed(Done{}));
}

TEST_F(Machine, SecondShutdownReturnsTheJobAtOnceUncharged) {
  run_job(spec(0));
  feed(Shutdown{false, {}});
  only<Terminate>(feed(Shutdown{true, {}}));
  auto rec = only<Record>(feed(Exited{exit_with(143)}));
  EXPECT_EQ(rec.attempt.verdict, Verdict::kInterrupted);
  EXPECT_EQ(rec.status, Status::kPending);
  EXPECT_EQ(only<Release>(feed(Done{})).delay_ms, 0);
  only<Exit>(feed(Done{}));
}

TEST_F(Machine, AnInterruptionNoticeReturnsTheJobAtOnceWithItsReason) {
  run_job(spec(0));
  only<Terminate>(feed(Shutdown{true, "interruption notice (grace 120s)"}));
  auto rec = only<Record>(feed(Exited{exit_with(143)}));
  EXPECT_EQ(rec.attempt.verdict, Verdict::kInterrupted);
  EXPECT_EQ(rec.attempt.reason, "returned to the queue: interruption notice (grace 120s)");
  EXPECT_EQ(rec.status, Status::kPending);
  EXPECT_EQ(only<Release>(feed(Done{})).delay_ms, 0);
  only<Exit>(feed(Done{}));
}

TEST_F(Machine, ShutdownBeforeTheJobStartedReleasesIt) {
  feed(Started{});
  feed(Received{message(spec())});
  feed(Shutdown{false, {}});
  only<Release>(feed(Loaded{record(spec())}));
  only<Exit>(feed(Done{}));
}

TEST_F(Machine, JobThatCannotRunHereFailsAsTheJobs) {
  feed(Started{});
  feed(Received{message(spec(0))});
  feed(Loaded{record(spec(0))});
  feed(AttemptBegun{});
  auto rec = only<Record>(feed(LaunchFailed{Error{ErrorCode::kInvalid, "no pwsh"}}));
  EXPECT_EQ(rec.attempt.verdict, Verdict::kFailed);
  EXPECT_EQ(rec.status, Status::kFailed);
  EXPECT_EQ(step_.state.own_failures, 0);
}

TEST_F(Machine, WorkerTroubleIsNotChargedAndStopsABrokenWorker) {
  for (int i = 1; i <= 2; ++i) {
    if (i == 1) feed(Started{});
    feed(Received{message(spec(0))});
    feed(Loaded{record(spec(0))});
    feed(AttemptBegun{});
    auto rec = only<Record>(feed(LaunchFailed{Error{ErrorCode::kUnavailable, "disk full"}}));
    EXPECT_EQ(rec.attempt.verdict, Verdict::kInterrupted);
    EXPECT_EQ(rec.status, Status::kPending);
    EXPECT_EQ(only<Release>(feed(Done{})).delay_ms, 0);
    feed(Done{});
  }
  ASSERT_TRUE(in<Stopped>(step_));
  EXPECT_TRUE(std::get<Stopped>(step_.state.phase).worker_fault);
  only<Exit>(step_);
}

TEST_F(Machine, AJobOfItsOwnResetsTheWorkersFailureCount) {
  feed(Started{});
  feed(Received{message(spec(0))});
  feed(Loaded{record(spec(0))});
  feed(AttemptBegun{});
  feed(LaunchFailed{Error{ErrorCode::kUnavailable, "disk full"}});
  feed(Done{});
  feed(Done{});
  EXPECT_EQ(step_.state.own_failures, 1);
  feed(Received{message(spec(0))});
  feed(Loaded{record(spec(0))});
  feed(AttemptBegun{});
  feed(Launched{});
  feed(Exited{exit_with(1)});
  EXPECT_EQ(step_.state.own_failures, 0);
}

TEST_F(Machine, RecordFailureIsRetriedThenLeftToTheLease) {
  run_job(spec());
  feed(Exited{exit_with(0)});
  for (int i = 1; i < policy_.max_record_tries; ++i) {
    auto s = feed(Failed{Error{ErrorCode::kUnavailable, "db down"}});
    ASSERT_EQ(s.actions.size(), 2u);
    std::get<Pause>(s.actions[0]);
    std::get<Record>(s.actions[1]);
  }
  auto s = feed(Failed{Error{ErrorCode::kUnavailable, "db down"}});
  only<Receive>(s);
  EXPECT_NE(s.log.find("lease will lapse"), std::string::npos);
}

TEST_F(Machine, RecordConflictMeansAnotherAgentOwnsTheJob) {
  run_job(spec());
  feed(Exited{exit_with(0)});
  only<Receive>(feed(Failed{Error{ErrorCode::kConflict, "attempt closed"}}));
}

TEST_F(Machine, CloseFailureIsLoggedAndTheSlotGoesOn) {
  run_job(spec());
  feed(Exited{exit_with(0)});
  feed(Done{});
  auto s = feed(Failed{Error{ErrorCode::kUnavailable, "x"}});
  only<Receive>(s);
  EXPECT_NE(s.log.find("could not close"), std::string::npos);
}

TEST_F(Machine, EventsThatDoNotFitThePhaseChangeNothing) {
  feed(Started{});
  State before = step_.state;
  auto s = feed(Exited{exit_with(0)});
  EXPECT_TRUE(s.actions.empty());
  EXPECT_NE(s.log.find("ignored event Exited in phase Polling"), std::string::npos);
  EXPECT_EQ(s.state.phase.index(), before.phase.index());
  run_job(spec());
  s = feed(Received{message(spec())});
  EXPECT_TRUE(in<Running>(s));
}

TEST_F(Machine, StoppedStaysStopped) {
  feed(Started{});
  feed(Shutdown{});
  EXPECT_TRUE(feed(Received{message(spec())}).actions.empty());
  EXPECT_TRUE(in<Stopped>(step_));
}

TEST(Judge, Verdicts) {
  RunOutcome o;
  o.term_signal = 9;
  auto [v, why] = judge(spec(), o);
  EXPECT_EQ(v, Verdict::kFailed);
  EXPECT_NE(why.find("SIGKILL"), std::string::npos);
  o = {};
  o.exit_code = 0;
  EXPECT_EQ(judge(spec(0, " "), o).first, Verdict::kSucceeded);  // blank: exit code decides
}

TEST(Backoff, DoublesUpToTheMaximum) {
  Policy p = test_policy();
  EXPECT_EQ(backoff(1, p), 1000);
  EXPECT_EQ(backoff(2, p), 2000);
  EXPECT_EQ(backoff(3, p), 4000);
  EXPECT_EQ(backoff(4, p), 8000);
  EXPECT_EQ(backoff(30, p), 8000);
  p.backoff_base_ms = 0;
  EXPECT_EQ(backoff(5, p), 0);
}

}  // namespace
}  // namespace tandem::agent
