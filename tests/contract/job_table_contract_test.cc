// The JobTable contract (backend/job_table.h), run against every backend.
#include <gmock/gmock.h>

#include "backend_contract.h"

namespace tandem::contract {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kLostReason =
    "its worker vanished: the lease expired before the attempt ended";

class JobTableContract : public BackendContract {
 protected:
  // The job, which must exist.
  JobRecord get(const std::string& id) {
    auto r = table().get(id);
    EXPECT_TRUE(ok(r));
    if (!r || !*r) {
      ADD_FAILURE() << "no job " << id;
      return {};
    }
    return **r;
  }

  void put(std::vector<JobSpec> jobs, Millis now = 1000) {
    auto r = table().put(jobs, now);
    ASSERT_TRUE(ok(r));
  }

  Attempt ended(int number, Verdict verdict, std::optional<int> exit_code, Millis at) {
    Attempt a;
    a.number = number;
    a.verdict = verdict;
    a.exit_code = exit_code;
    a.ended_at = at;
    a.reason = std::string(to_string(verdict));
    a.output_tail = "out " + std::to_string(number);
    return a;
  }
};
TANDEM_CONTRACT_SUITE(JobTableContract);

std::vector<std::string> ids(const std::vector<JobSummary>& list) {
  std::vector<std::string> out;
  for (const auto& s : list) out.push_back(s.job_id);
  return out;
}

TEST_P(JobTableContract, PutRecordsNewJobsAsPending) {
  auto r = table().put(std::vector{make_job("b"), make_job("a"), make_job("c")}, 1000);
  ASSERT_TRUE(ok(r));
  EXPECT_THAT(r->added, ElementsAre("b", "a", "c"));
  EXPECT_EQ(r->existing, 0);
  JobRecord a = get("a");
  EXPECT_EQ(a.spec, make_job("a"));
  EXPECT_EQ(a.status, Status::kPending);
  EXPECT_FALSE(a.cancel_requested);
  EXPECT_EQ(a.submitted_at, 1000);
  EXPECT_EQ(a.updated_at, 1000);
  EXPECT_TRUE(a.attempts.empty());
  EXPECT_TRUE(a.reason.empty());
}

TEST_P(JobTableContract, PutKeepsEveryFieldOfTheSpec) {
  JobSpec spec = make_job("full", "echo one");
  spec.commands.push_back("echo 'two' \"three\" \\ \u00e9");
  spec.retry = 3;
  spec.success_string = "Hello";
  spec.ssm_document = "AWS-RunPowerShellScript";
  spec.timeout_seconds = 12.5;
  spec.env = {{"A", "1"}, {"B_2", "x y"}};
  put({spec});
  EXPECT_EQ(get("full").spec, spec);
}

TEST_P(JobTableContract, GetOfAMissingJobIsEmpty) {
  auto r = table().get("nope");
  ASSERT_TRUE(ok(r));
  EXPECT_FALSE(*r);
}

TEST_P(JobTableContract, PutIsIdempotentForIdenticalSpecs) {
  put({make_job("a"), make_job("b")}, 1000);
  auto again = table().put(std::vector{make_job("a"), make_job("new"), make_job("b")}, 2000);
  ASSERT_TRUE(ok(again));
  EXPECT_THAT(again->added, ElementsAre("new"));
  EXPECT_EQ(again->existing, 2);
  EXPECT_EQ(get("a").submitted_at, 1000);
}

TEST_P(JobTableContract, PutWithADifferentSpecConflictsAndRecordsNothing) {
  put({make_job("a")});
  auto r = table().put(std::vector{make_job("fresh"), make_job("a", "echo other")}, 2000);
  ASSERT_TRUE(fails_with(r, ErrorCode::kConflict));
  EXPECT_THAT(r.error().message, HasSubstr("'a'"));
  auto fresh = table().get("fresh");
  ASSERT_TRUE(ok(fresh));
  EXPECT_FALSE(*fresh);
  EXPECT_EQ(get("a").spec, make_job("a"));
}

TEST_P(JobTableContract, PutOfTheSameIdTwiceInOneCall) {
  auto same = table().put(std::vector{make_job("x"), make_job("x")}, 1000);
  ASSERT_TRUE(ok(same));
  EXPECT_THAT(same->added, ElementsAre("x"));
  EXPECT_EQ(same->existing, 1);
  auto different = table().put(std::vector{make_job("y"), make_job("y", "echo other")}, 1000);
  EXPECT_TRUE(fails_with(different, ErrorCode::kConflict));
  auto y = table().get("y");
  ASSERT_TRUE(ok(y));
  EXPECT_FALSE(*y);
}

TEST_P(JobTableContract, BeginAttemptStartsAndNumbersAttempts) {
  put({make_job("a")});
  ASSERT_TRUE(ok(table().begin_attempt("a", 1, "w1", "/logs/a.1", 2000)));
  JobRecord r = get("a");
  EXPECT_EQ(r.status, Status::kRunning);
  EXPECT_EQ(r.updated_at, 2000);
  ASSERT_EQ(r.attempts.size(), 1u);
  const Attempt& a = r.attempts[0];
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.worker, "w1");
  EXPECT_EQ(a.log, "/logs/a.1");
  EXPECT_EQ(a.started_at, 2000);
  EXPECT_EQ(a.ended_at, 0);
  EXPECT_EQ(a.verdict, Verdict::kRunning);
  EXPECT_FALSE(a.exit_code);

  // The first worker vanished: attempt 2 closes attempt 1 as LOST.
  ASSERT_TRUE(ok(table().begin_attempt("a", 2, "w2", "/logs/a.2", 3000)));
  r = get("a");
  ASSERT_EQ(r.attempts.size(), 2u);
  EXPECT_EQ(r.attempts[0].verdict, Verdict::kLost);
  EXPECT_EQ(r.attempts[0].reason, kLostReason);
  EXPECT_EQ(r.attempts[0].ended_at, 3000);
  EXPECT_EQ(r.attempts[1].number, 2);
  EXPECT_EQ(r.attempts[1].worker, "w2");
  EXPECT_EQ(r.attempts[1].verdict, Verdict::kRunning);
  EXPECT_EQ(r.status, Status::kRunning);
}

TEST_P(JobTableContract, BeginAttemptRefusesAWrongNumber) {
  put({make_job("a")});
  EXPECT_TRUE(fails_with(table().begin_attempt("a", 2, "w", "", 2000), ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(table().begin_attempt("a", 0, "w", "", 2000), ErrorCode::kConflict));
  ASSERT_TRUE(ok(table().begin_attempt("a", 1, "w", "", 2000)));
  // A duplicate delivery racing for the same attempt loses.
  EXPECT_TRUE(fails_with(table().begin_attempt("a", 1, "w2", "", 2500), ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(table().begin_attempt("a", 3, "w2", "", 2500), ErrorCode::kConflict));
  JobRecord r = get("a");
  ASSERT_EQ(r.attempts.size(), 1u);
  EXPECT_EQ(r.attempts[0].worker, "w");
  EXPECT_EQ(r.attempts[0].verdict, Verdict::kRunning);
  EXPECT_EQ(r.updated_at, 2000);
}

TEST_P(JobTableContract, BeginAttemptRefusesFinalCancelledAndMissingJobs) {
  put({make_job("done"), make_job("cancelling")});
  ASSERT_TRUE(ok(table().finish("done", Status::kFailed, "given up", 2000)));
  EXPECT_TRUE(fails_with(table().begin_attempt("done", 1, "w", "", 3000), ErrorCode::kConflict));

  ASSERT_TRUE(ok(table().begin_attempt("cancelling", 1, "w", "", 2000)));
  ASSERT_TRUE(ok(table().cancel("cancelling", 2500)));
  EXPECT_TRUE(
      fails_with(table().begin_attempt("cancelling", 2, "w", "", 3000), ErrorCode::kConflict));
  EXPECT_EQ(get("cancelling").attempts.size(), 1u);

  EXPECT_TRUE(fails_with(table().begin_attempt("missing", 1, "w", "", 3000), ErrorCode::kNotFound));
}

TEST_P(JobTableContract, EndAttemptRecordsTheOutcome) {
  put({make_job("a")});
  ASSERT_TRUE(ok(table().begin_attempt("a", 1, "w", "log1", 2000)));
  ASSERT_TRUE(ok(table().end_attempt("a", ended(1, Verdict::kFailed, 3, 2500), Status::kPending,
                                     "attempt 1 failed; retrying", 2600)));
  JobRecord r = get("a");
  EXPECT_EQ(r.status, Status::kPending);
  EXPECT_EQ(r.reason, "attempt 1 failed; retrying");
  EXPECT_EQ(r.updated_at, 2600);
  ASSERT_EQ(r.attempts.size(), 1u);
  EXPECT_EQ(r.attempts[0].verdict, Verdict::kFailed);
  EXPECT_EQ(r.attempts[0].exit_code, 3);
  EXPECT_EQ(r.attempts[0].ended_at, 2500);
  EXPECT_EQ(r.attempts[0].reason, "FAILED");
  EXPECT_EQ(r.attempts[0].output_tail, "out 1");
  EXPECT_EQ(r.attempts[0].log, "log1");
  EXPECT_EQ(r.attempts[0].worker, "w");

  ASSERT_TRUE(ok(table().begin_attempt("a", 2, "w", "log2", 3000)));
  ASSERT_TRUE(ok(table().end_attempt("a", ended(2, Verdict::kTimedOut, std::nullopt, 3500),
                                     Status::kFailed, "timed out", 3600)));
  r = get("a");
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.reason, "timed out");
  ASSERT_EQ(r.attempts.size(), 2u);
  EXPECT_EQ(r.attempts[0].verdict, Verdict::kFailed);  // untouched by attempt 2
  EXPECT_EQ(r.attempts[1].verdict, Verdict::kTimedOut);
  EXPECT_FALSE(r.attempts[1].exit_code);
}

TEST_P(JobTableContract, EndAttemptRefusesAnAttemptThatIsNotOpen) {
  put({make_job("a")});
  EXPECT_TRUE(fails_with(table().end_attempt("a", ended(1, Verdict::kSucceeded, 0, 2000),
                                             Status::kSucceeded, "", 2000),
                         ErrorCode::kConflict));
  ASSERT_TRUE(ok(table().begin_attempt("a", 1, "w", "", 2000)));
  ASSERT_TRUE(ok(table().begin_attempt("a", 2, "w", "", 3000)));  // attempt 1 is LOST
  EXPECT_TRUE(fails_with(table().end_attempt("a", ended(1, Verdict::kSucceeded, 0, 3500),
                                             Status::kSucceeded, "", 3500),
                         ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(table().end_attempt("a", ended(3, Verdict::kSucceeded, 0, 3500),
                                             Status::kSucceeded, "", 3500),
                         ErrorCode::kConflict));
  JobRecord r = get("a");
  EXPECT_EQ(r.status, Status::kRunning);
  EXPECT_EQ(r.attempts[0].verdict, Verdict::kLost);
}

TEST_P(JobTableContract, EndAttemptRefusesAFinalJob) {
  put({make_job("a")});
  ASSERT_TRUE(ok(table().begin_attempt("a", 1, "w", "", 2000)));
  ASSERT_TRUE(ok(table().end_attempt("a", ended(1, Verdict::kSucceeded, 0, 2500),
                                     Status::kSucceeded, "", 2500)));
  // A duplicate agent reporting the same attempt again changes nothing.
  EXPECT_TRUE(fails_with(
      table().end_attempt("a", ended(1, Verdict::kFailed, 1, 2600), Status::kFailed, "", 2600),
      ErrorCode::kConflict));
  JobRecord r = get("a");
  EXPECT_EQ(r.status, Status::kSucceeded);
  EXPECT_EQ(r.attempts[0].verdict, Verdict::kSucceeded);
  EXPECT_EQ(r.updated_at, 2500);
}

TEST_P(JobTableContract, OutputTailKeepsAnyBytes) {
  put({make_job("a"), make_job("b")});
  std::string binary("a\0b\0\xff\xfe\n", 7);
  std::string big(kOutputTailBytes, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 256);
  for (const auto& [id, tail] : {std::pair{"a", binary}, std::pair{"b", big}}) {
    ASSERT_TRUE(ok(table().begin_attempt(id, 1, "w", "", 2000)));
    Attempt a = ended(1, Verdict::kSucceeded, 0, 2500);
    a.output_tail = tail;
    ASSERT_TRUE(ok(table().end_attempt(id, a, Status::kSucceeded, "", 2500)));
    JobRecord r = get(id);
    ASSERT_EQ(r.attempts.size(), 1u);
    EXPECT_EQ(r.attempts[0].output_tail.size(), tail.size());
    EXPECT_TRUE(r.attempts[0].output_tail == tail) << "job " << id;
  }
}

TEST_P(JobTableContract, FinishGivesAFinalStatusAndClosesOpenAttempts) {
  put({make_job("running"), make_job("pending")});
  ASSERT_TRUE(ok(table().begin_attempt("running", 1, "w", "", 2000)));
  ASSERT_TRUE(ok(table().finish("running", Status::kFailed, "lost too often", 3000)));
  JobRecord r = get("running");
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.reason, "lost too often");
  EXPECT_EQ(r.updated_at, 3000);
  EXPECT_EQ(r.attempts[0].verdict, Verdict::kLost);
  EXPECT_EQ(r.attempts[0].reason, kLostReason);
  EXPECT_EQ(r.attempts[0].ended_at, 3000);

  ASSERT_TRUE(ok(table().finish("pending", Status::kCancelled, "cancelled while pending", 3000)));
  EXPECT_EQ(get("pending").status, Status::kCancelled);

  EXPECT_TRUE(
      fails_with(table().finish("running", Status::kSucceeded, "", 4000), ErrorCode::kConflict));
  EXPECT_EQ(get("running").status, Status::kFailed);
  EXPECT_TRUE(
      fails_with(table().finish("missing", Status::kFailed, "", 4000), ErrorCode::kNotFound));
}

TEST_P(JobTableContract, CancelInEachState) {
  put({make_job("pending"), make_job("running"), make_job("done")});
  auto cancelled = table().cancel("pending", 2000);
  ASSERT_TRUE(ok(cancelled));
  EXPECT_EQ(*cancelled, Status::kCancelled);
  JobRecord p = get("pending");
  EXPECT_EQ(p.status, Status::kCancelled);
  EXPECT_EQ(p.reason, "cancelled by user");
  EXPECT_EQ(p.updated_at, 2000);

  ASSERT_TRUE(ok(table().begin_attempt("running", 1, "w", "", 2000)));
  auto requested = table().cancel("running", 2500);
  ASSERT_TRUE(ok(requested));
  EXPECT_EQ(*requested, Status::kRunning);
  JobRecord r = get("running");
  EXPECT_EQ(r.status, Status::kRunning);
  EXPECT_TRUE(r.cancel_requested);
  auto twice = table().cancel("running", 2600);
  ASSERT_TRUE(ok(twice));
  EXPECT_EQ(*twice, Status::kRunning);
  // The agent carries the request out.
  ASSERT_TRUE(ok(table().end_attempt("running", ended(1, Verdict::kCancelled, -15, 2700),
                                     Status::kCancelled, "cancelled by user", 2700)));
  EXPECT_EQ(get("running").status, Status::kCancelled);

  ASSERT_TRUE(ok(table().begin_attempt("done", 1, "w", "", 2000)));
  ASSERT_TRUE(ok(table().end_attempt("done", ended(1, Verdict::kSucceeded, 0, 2100),
                                     Status::kSucceeded, "", 2100)));
  auto refused = table().cancel("done", 3000);
  ASSERT_TRUE(fails_with(refused, ErrorCode::kConflict));
  EXPECT_THAT(refused.error().message, HasSubstr("job 'done' is already SUCCEEDED"));
  EXPECT_TRUE(fails_with(table().cancel("pending", 3000), ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(table().cancel("missing", 3000), ErrorCode::kNotFound));
}

TEST_P(JobTableContract, CountsAndListFollowTheStatuses) {
  put({make_job("zeta"), make_job("alpha"), make_job("mid"), make_job("beta"), make_job("omega")});
  ASSERT_TRUE(ok(table().begin_attempt("alpha", 1, "w", "", 2000)));
  ASSERT_TRUE(ok(table().begin_attempt("mid", 1, "w", "", 2000)));
  ASSERT_TRUE(ok(table().end_attempt("mid", ended(1, Verdict::kSucceeded, 0, 2100),
                                     Status::kSucceeded, "ok", 2100)));
  ASSERT_TRUE(ok(table().cancel("beta", 2200)));

  auto counts = table().counts();
  ASSERT_TRUE(ok(counts));
  EXPECT_EQ(counts->total(), 5);
  EXPECT_EQ(counts->get(Status::kPending), 2);
  EXPECT_EQ(counts->get(Status::kRunning), 1);
  EXPECT_EQ(counts->get(Status::kSucceeded), 1);
  EXPECT_EQ(counts->get(Status::kCancelled), 1);
  EXPECT_EQ(counts->get(Status::kFailed), 0);

  auto all = table().list(std::nullopt, 100);
  ASSERT_TRUE(ok(all));
  EXPECT_THAT(ids(*all), ElementsAre("zeta", "alpha", "mid", "beta", "omega"));
  const JobSummary& mid = (*all)[2];
  EXPECT_EQ(mid.status, Status::kSucceeded);
  EXPECT_EQ(mid.attempts, 1);
  EXPECT_EQ(mid.updated_at, 2100);
  EXPECT_EQ(mid.reason, "ok");
  EXPECT_EQ((*all)[0].attempts, 0);

  auto pending = table().list(Status::kPending, 100);
  ASSERT_TRUE(ok(pending));
  EXPECT_THAT(ids(*pending), ElementsAre("zeta", "omega"));
  auto first_two = table().list(std::nullopt, 2);
  ASSERT_TRUE(ok(first_two));
  EXPECT_THAT(ids(*first_two), ElementsAre("zeta", "alpha"));
  auto failed = table().list(Status::kFailed, 100);
  ASSERT_TRUE(ok(failed));
  EXPECT_TRUE(failed->empty());
}

TEST_P(JobTableContract, TwoBackendsOnOneUrlShareJobs) {
  auto other = open_again();
  ASSERT_TRUE(other);
  put({make_job("a")});
  auto seen = other->table().get("a");
  ASSERT_TRUE(ok(seen));
  ASSERT_TRUE(*seen);
  EXPECT_EQ((*seen)->spec, make_job("a"));
  ASSERT_TRUE(ok(other->table().begin_attempt("a", 1, "w", "", 2000)));
  EXPECT_EQ(get("a").status, Status::kRunning);
}

}  // namespace
}  // namespace tandem::contract
