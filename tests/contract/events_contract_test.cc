// The EventLog contract (backend/events.h), run against every backend: one event per
// final status, in the transaction that sets it; reading; consumer offsets.
#include <gmock/gmock.h>

#include <thread>

#include "backend_contract.h"

namespace tandem::contract {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class EventsContract : public BackendContract {
 protected:
  EventLog& events() { return backend().events(); }

  void put(const std::vector<std::string>& ids, int retry = 0) {
    std::vector<JobSpec> jobs;
    for (const auto& id : ids) {
      jobs.push_back(make_job(id));
      jobs.back().retry = retry;
    }
    ASSERT_TRUE(ok(table().put(jobs, 1000)));
  }

  // Every event past `after` (a read error is a test failure).
  std::vector<JobEvent> read(std::int64_t after = 0, std::optional<Stream> stream = std::nullopt,
                             std::size_t limit = 100) {
    auto r = events().read(after, stream, limit, 0);
    EXPECT_TRUE(ok(r));
    return r ? *r : std::vector<JobEvent>();
  }

  // Runs attempt `number` of job `id` and ends it with `verdict`, setting the job to
  // `status` with `reason` at `now`.
  Result<void> run_attempt(const std::string& id, int number, Verdict verdict, Status status,
                           const std::string& reason, Millis now) {
    if (auto begun = table().begin_attempt(id, number, "w", "", now - 10); !begun) return begun;
    return end(id, number, verdict, status, reason, now);
  }

  Result<void> end(const std::string& id, int number, Verdict verdict, Status status,
                   const std::string& reason, Millis now) {
    Attempt a;
    a.number = number;
    a.verdict = verdict;
    a.exit_code = verdict == Verdict::kSucceeded ? 0 : 1;
    a.ended_at = now;
    return table().end_attempt(id, a, status, reason, now);
  }
};
TANDEM_CONTRACT_SUITE(EventsContract);

std::vector<std::string> ids(const std::vector<JobEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.job_id);
  return out;
}

TEST(Streams, OfFinalStatusesAndTheirNames) {
  EXPECT_EQ(stream_of(Status::kSucceeded), Stream::kFinished);
  EXPECT_EQ(stream_of(Status::kFailed), Stream::kFailed);
  EXPECT_EQ(stream_of(Status::kCancelled), Stream::kFailed);
  EXPECT_EQ(to_string(Stream::kFinished), "finished");
  EXPECT_EQ(parse_stream("FAILED"), Stream::kFailed);
  EXPECT_EQ(parse_stream("finished"), Stream::kFinished);
  EXPECT_FALSE(parse_stream("done"));
}

TEST_P(EventsContract, ASucceededAttemptReportsOnFinished) {
  put({"a"});
  ASSERT_TRUE(ok(run_attempt("a", 1, Verdict::kSucceeded, Status::kSucceeded, "ok", 2000)));
  auto got = read();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_GT(got[0].seq, 0);
  EXPECT_EQ(got[0].stream, Stream::kFinished);
  EXPECT_EQ(got[0].job_id, "a");
  EXPECT_EQ(got[0].status, Status::kSucceeded);
  EXPECT_EQ(got[0].reason, "ok");
  EXPECT_EQ(got[0].attempts, 1);
  EXPECT_EQ(got[0].at, 2000);
}

TEST_P(EventsContract, ARetryReportsNothingAndTheLastFailureReportsOnFailed) {
  put({"a"}, 1);
  ASSERT_TRUE(ok(run_attempt("a", 1, Verdict::kFailed, Status::kPending, "retrying", 2000)));
  EXPECT_THAT(read(), IsEmpty());
  ASSERT_TRUE(ok(run_attempt("a", 2, Verdict::kFailed, Status::kFailed, "exit code 1", 3000)));
  auto got = read();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].stream, Stream::kFailed);
  EXPECT_EQ(got[0].status, Status::kFailed);
  EXPECT_EQ(got[0].reason, "exit code 1");
  EXPECT_EQ(got[0].attempts, 2);
  EXPECT_EQ(got[0].at, 3000);
}

TEST_P(EventsContract, FinishReportsItsStatus) {
  put({"s", "f", "c"});
  ASSERT_TRUE(ok(table().begin_attempt("f", 1, "w", "", 1500)));
  ASSERT_TRUE(ok(table().finish("s", Status::kSucceeded, "done elsewhere", 2000)));
  ASSERT_TRUE(ok(table().finish("f", Status::kFailed, "lost too often", 2100)));
  ASSERT_TRUE(ok(table().finish("c", Status::kCancelled, "cancelled", 2200)));
  auto got = read();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_THAT(ids(got), ElementsAre("s", "f", "c"));
  EXPECT_EQ(got[0].stream, Stream::kFinished);
  EXPECT_EQ(got[1].stream, Stream::kFailed);
  EXPECT_EQ(got[1].status, Status::kFailed);
  EXPECT_EQ(got[1].reason, "lost too often");
  EXPECT_EQ(got[1].attempts, 1);
  EXPECT_EQ(got[2].stream, Stream::kFailed);
  EXPECT_EQ(got[2].status, Status::kCancelled);
  EXPECT_EQ(got[2].attempts, 0);
  EXPECT_LT(got[0].seq, got[1].seq);
  EXPECT_LT(got[1].seq, got[2].seq);
}

TEST_P(EventsContract, CancelOfAPendingJobReportsOnFailed) {
  put({"a"});
  auto status = table().cancel("a", 2000);
  ASSERT_TRUE(ok(status));
  ASSERT_EQ(*status, Status::kCancelled);
  auto got = read();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].stream, Stream::kFailed);
  EXPECT_EQ(got[0].status, Status::kCancelled);
  EXPECT_EQ(got[0].reason, "cancelled by user");
  EXPECT_EQ(got[0].at, 2000);
}

TEST_P(EventsContract, ACancelRequestReportsOnlyWhenTheAttemptEnds) {
  put({"a"});
  ASSERT_TRUE(ok(table().begin_attempt("a", 1, "w", "", 1500)));
  auto status = table().cancel("a", 2000);
  ASSERT_TRUE(ok(status));
  ASSERT_EQ(*status, Status::kRunning);
  EXPECT_THAT(read(), IsEmpty());
  ASSERT_TRUE(ok(end("a", 1, Verdict::kCancelled, Status::kCancelled, "cancelled", 2500)));
  auto got = read();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, Status::kCancelled);
  EXPECT_EQ(got[0].stream, Stream::kFailed);
}

TEST_P(EventsContract, ARefusedChangeReportsNothing) {
  put({"a", "b"});
  ASSERT_TRUE(ok(run_attempt("a", 1, Verdict::kSucceeded, Status::kSucceeded, "ok", 2000)));
  // A duplicate delivery records the same outcome again, or finishes the job: refused.
  EXPECT_TRUE(fails_with(end("a", 1, Verdict::kSucceeded, Status::kSucceeded, "ok", 2100),
                         ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(table().finish("a", Status::kFailed, "lost", 2200), ErrorCode::kConflict));
  EXPECT_TRUE(fails_with(table().cancel("a", 2300), ErrorCode::kConflict));
  // An attempt that is not open cannot end the job either.
  ASSERT_TRUE(ok(table().begin_attempt("b", 1, "w", "", 2000)));
  EXPECT_TRUE(
      fails_with(end("b", 2, Verdict::kFailed, Status::kFailed, "no", 2400), ErrorCode::kConflict));
  EXPECT_TRUE(
      fails_with(table().finish("missing", Status::kFailed, "x", 2500), ErrorCode::kNotFound));
  EXPECT_THAT(ids(read()), ElementsAre("a"));
}

TEST_P(EventsContract, ReadFiltersByStreamLimitAndAfter) {
  put({"a", "b", "c", "d"});
  ASSERT_TRUE(ok(table().finish("a", Status::kSucceeded, "", 2000)));
  ASSERT_TRUE(ok(table().finish("b", Status::kFailed, "", 2000)));
  ASSERT_TRUE(ok(table().finish("c", Status::kSucceeded, "", 2000)));
  ASSERT_TRUE(ok(table().cancel("d", 2000)));
  auto all = read();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_THAT(ids(read(0, Stream::kFinished)), ElementsAre("a", "c"));
  EXPECT_THAT(ids(read(0, Stream::kFailed)), ElementsAre("b", "d"));
  EXPECT_THAT(ids(read(0, std::nullopt, 2)), ElementsAre("a", "b"));
  EXPECT_THAT(ids(read(all[0].seq)), ElementsAre("b", "c", "d"));
  EXPECT_THAT(ids(read(all[1].seq, Stream::kFinished, 1)), ElementsAre("c"));
  EXPECT_THAT(ids(read(all[3].seq)), IsEmpty());
  EXPECT_THAT(read(0, std::nullopt, 0), IsEmpty());
}

TEST_P(EventsContract, ReadWaitsUpToWaitMsWhenNothingComes) {
  Millis start = steady_millis();
  auto r = events().read(0, std::nullopt, 10, 50);
  ASSERT_TRUE(ok(r));
  EXPECT_THAT(*r, IsEmpty());
  EXPECT_GE(steady_millis() - start, 45);
}

TEST_P(EventsContract, ReadWakesForAnEventAppendedByAnotherThread) {
  put({"a"});
  auto other = open_again();
  ASSERT_TRUE(other);
  constexpr Millis kWait = 30'000;
  // The writer gives the reader time to start waiting; the test holds either way.
  std::thread writer([&other] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(ok(other->table().finish("a", Status::kSucceeded, "", 2000)));
  });
  Millis start = steady_millis();
  auto r = events().read(0, std::nullopt, 10, kWait);
  Millis waited = steady_millis() - start;
  writer.join();
  ASSERT_TRUE(ok(r));
  EXPECT_THAT(ids(*r), ElementsAre("a"));
  EXPECT_LT(waited, kWait);
}

TEST_P(EventsContract, OffsetsArePerConsumerAndNeverMoveBack) {
  auto fresh = events().offset("x");
  ASSERT_TRUE(ok(fresh));
  EXPECT_EQ(*fresh, 0);
  ASSERT_TRUE(ok(events().commit("x", 5)));
  ASSERT_TRUE(ok(events().commit("x", 3)));
  EXPECT_EQ(events().offset("x").value_or(-1), 5);
  ASSERT_TRUE(ok(events().commit("x", 9)));
  EXPECT_EQ(events().offset("x").value_or(-1), 9);
  EXPECT_EQ(events().offset("y").value_or(-1), 0);
  ASSERT_TRUE(ok(events().commit("y", 2)));
  EXPECT_EQ(events().offset("y").value_or(-1), 2);
  EXPECT_EQ(events().offset("x").value_or(-1), 9);
  EXPECT_TRUE(fails_with(events().commit("", 1), ErrorCode::kInvalid));
  EXPECT_TRUE(fails_with(events().commit("x", -1), ErrorCode::kInvalid));
  EXPECT_TRUE(fails_with(events().offset(""), ErrorCode::kInvalid));
}

TEST_P(EventsContract, TwoBackendsOnOneUrlShareEventsAndOffsets) {
  put({"a"});
  auto other = open_again();
  ASSERT_TRUE(other);
  ASSERT_TRUE(ok(table().finish("a", Status::kFailed, "x", 2000)));
  auto seen = other->events().read(0, std::nullopt, 10, 0);
  ASSERT_TRUE(ok(seen));
  ASSERT_THAT(ids(*seen), ElementsAre("a"));
  ASSERT_TRUE(ok(other->events().commit("c", seen->back().seq)));
  EXPECT_EQ(events().offset("c").value_or(-1), seen->back().seq);
  EXPECT_THAT(read(events().offset("c").value_or(0)), IsEmpty());
}

}  // namespace
}  // namespace tandem::contract
