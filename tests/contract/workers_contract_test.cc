// The WorkerRegistry contract (backend/workers.h), run against every backend.
#include <gmock/gmock.h>

#include "backend_contract.h"

namespace tandem::contract {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class WorkersContract : public BackendContract {
 protected:
  WorkerRegistry& workers() { return backend().workers(); }

  static WorkerRecord make_worker(const std::string& id, Millis started_at) {
    WorkerRecord w;
    w.id = id;
    w.tier = "spot";
    w.host = "host-" + id;
    w.pid = 4242;
    w.state = WorkerState::kIdle;
    w.started_at = started_at;
    w.last_seen = started_at;
    return w;
  }

  // The worker, which must exist.
  WorkerRecord get(const std::string& id) {
    auto r = workers().get(id);
    EXPECT_TRUE(ok(r));
    if (!r || !*r) {
      ADD_FAILURE() << "no worker " << id;
      return {};
    }
    return **r;
  }

  std::vector<std::string> list(bool stopped, Millis since) {
    auto r = workers().list(stopped, since);
    EXPECT_TRUE(ok(r));
    std::vector<std::string> out;
    if (r)
      for (const auto& w : *r) out.push_back(w.id);
    return out;
  }
};
TANDEM_CONTRACT_SUITE(WorkersContract);

TEST(WorkerStates, NamesRoundTrip) {
  for (auto s :
       {WorkerState::kIdle, WorkerState::kBusy, WorkerState::kDraining, WorkerState::kStopped})
    EXPECT_EQ(parse_worker_state(to_string(s)), s);
  EXPECT_EQ(parse_worker_state("busy"), WorkerState::kBusy);
  EXPECT_FALSE(parse_worker_state("asleep"));
}

TEST_P(WorkersContract, HeartbeatRegistersTheWorker) {
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("w1", 1000))));
  WorkerRecord w = get("w1");
  EXPECT_EQ(w.id, "w1");
  EXPECT_EQ(w.tier, "spot");
  EXPECT_EQ(w.host, "host-w1");
  EXPECT_EQ(w.pid, 4242);
  EXPECT_EQ(w.state, WorkerState::kIdle);
  EXPECT_EQ(w.job_id, "");
  EXPECT_EQ(w.started_at, 1000);
  EXPECT_EQ(w.last_seen, 1000);
  EXPECT_EQ(w.stopped_at, 0);
  EXPECT_EQ(w.interrupt_at, 0);
  EXPECT_EQ(w.interrupt_grace_ms, 0);
}

TEST_P(WorkersContract, GetOfAMissingWorkerIsEmpty) {
  auto r = workers().get("nope");
  ASSERT_TRUE(ok(r));
  EXPECT_FALSE(*r);
}

TEST_P(WorkersContract, AnEmptyIdIsInvalid) {
  EXPECT_TRUE(fails_with(workers().heartbeat(make_worker("", 1000)), ErrorCode::kInvalid));
}

TEST_P(WorkersContract, TimesLeftAtZeroAreNow) {
  Millis before = now_millis();
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("w", 0))));
  Millis after = now_millis();
  WorkerRecord w = get("w");
  EXPECT_GE(w.started_at, before);
  EXPECT_LE(w.started_at, after);
  EXPECT_GE(w.last_seen, before);
  EXPECT_LE(w.last_seen, after);
}

TEST_P(WorkersContract, HeartbeatUpdatesTheStateAndKeepsTheStart) {
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("w", 1000))));
  WorkerRecord busy = make_worker("w", 5000);
  busy.state = WorkerState::kBusy;
  busy.job_id = "job-7";
  busy.last_seen = 6000;
  ASSERT_TRUE(ok(workers().heartbeat(busy)));
  WorkerRecord w = get("w");
  EXPECT_EQ(w.state, WorkerState::kBusy);
  EXPECT_EQ(w.job_id, "job-7");
  EXPECT_EQ(w.last_seen, 6000);
  EXPECT_EQ(w.started_at, 1000);

  WorkerRecord stopped = busy;
  stopped.state = WorkerState::kStopped;
  stopped.job_id.clear();
  stopped.last_seen = 7000;
  stopped.stopped_at = 7000;
  ASSERT_TRUE(ok(workers().heartbeat(stopped)));
  w = get("w");
  EXPECT_EQ(w.state, WorkerState::kStopped);
  EXPECT_EQ(w.job_id, "");
  EXPECT_EQ(w.stopped_at, 7000);
}

TEST_P(WorkersContract, ListReturnsLiveWorkersInStartOrder) {
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("second", 2000))));
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("first", 1000))));
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("third", 3000))));
  WorkerRecord gone = make_worker("gone", 2500);
  gone.state = WorkerState::kStopped;
  gone.stopped_at = 4000;
  ASSERT_TRUE(ok(workers().heartbeat(gone)));
  EXPECT_THAT(list(false, 0), ElementsAre("first", "second", "third"));
  EXPECT_THAT(list(true, 0), ElementsAre("first", "second", "gone", "third"));
  EXPECT_THAT(list(false, 2000), ElementsAre("second", "third"));
  EXPECT_THAT(list(true, 2001), ElementsAre("gone", "third"));
  EXPECT_THAT(list(true, 3001), IsEmpty());
}

TEST_P(WorkersContract, InterruptSendsANoticeThatHeartbeatsKeep) {
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("w", 1000))));
  ASSERT_TRUE(ok(workers().interrupt("w", 120'000, 5000)));
  WorkerRecord w = get("w");
  EXPECT_EQ(w.interrupt_at, 5000);
  EXPECT_EQ(w.interrupt_grace_ms, 120'000);
  WorkerRecord beat = make_worker("w", 1000);
  beat.last_seen = 6000;
  ASSERT_TRUE(ok(workers().heartbeat(beat)));
  w = get("w");
  EXPECT_EQ(w.interrupt_at, 5000);
  EXPECT_EQ(w.interrupt_grace_ms, 120'000);
  EXPECT_EQ(w.last_seen, 6000);
}

TEST_P(WorkersContract, InterruptOfAMissingOrStoppedWorkerIsRefused) {
  EXPECT_TRUE(fails_with(workers().interrupt("nope", 1000, 5000), ErrorCode::kNotFound));
  WorkerRecord gone = make_worker("gone", 1000);
  gone.state = WorkerState::kStopped;
  gone.stopped_at = 2000;
  ASSERT_TRUE(ok(workers().heartbeat(gone)));
  EXPECT_TRUE(fails_with(workers().interrupt("gone", 1000, 5000), ErrorCode::kConflict));
  EXPECT_EQ(get("gone").interrupt_at, 0);
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("w", 1000))));
  EXPECT_TRUE(fails_with(workers().interrupt("w", -1, 5000), ErrorCode::kInvalid));
  EXPECT_EQ(get("w").interrupt_at, 0);
}

TEST_P(WorkersContract, TwoBackendsOnOneUrlShareTheRegistry) {
  auto other = open_again();
  ASSERT_TRUE(other);
  ASSERT_TRUE(ok(workers().heartbeat(make_worker("w", 1000))));
  ASSERT_TRUE(ok(other->workers().interrupt("w", 10'000, 2000)));
  EXPECT_EQ(get("w").interrupt_at, 2000);
  auto listed = other->workers().list(false, 0);
  ASSERT_TRUE(ok(listed));
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().host, "host-w");
}

}  // namespace
}  // namespace tandem::contract
