// The Queue contract (backend/queue.h), run against every backend.
#include <gmock/gmock.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "backend_contract.h"

namespace tandem::contract {
namespace {

using ::testing::HasSubstr;

class QueueContract : public BackendContract {};
TANDEM_CONTRACT_SUITE(QueueContract);

constexpr Millis kLong = 60'000;     // a lease that does not end during a test
constexpr Millis kShort = 150;       // a lease a test waits out
constexpr Millis kPatience = 5'000;  // the longest a test waits for something due

std::vector<std::string> bodies(std::initializer_list<const char*> list) {
  return {list.begin(), list.end()};
}

// Polls stats until `pred` holds or kPatience passes; returns the last stats.
template <typename Pred>
QueueStats stats_when(Queue& q, Pred pred) {
  Millis deadline = steady_millis() + kPatience;
  for (;;) {
    auto s = q.stats();
    EXPECT_TRUE(ok(s));
    if (!s || pred(*s) || steady_millis() > deadline) return s ? *s : QueueStats{};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // then poll again
  }
}

TEST_P(QueueContract, ReceivesInFifoOrder) {
  ASSERT_TRUE(ok(queue().send(bodies({"a", "b", "c"}))));
  ASSERT_TRUE(ok(queue().send(bodies({"d"}))));
  std::set<std::string> ids;
  for (const char* expected : {"a", "b", "c", "d"}) {
    auto m = receive(queue(), kLong, 0);
    ASSERT_TRUE(m) << "expected " << expected;
    EXPECT_EQ(m->body, expected);
    EXPECT_EQ(m->receive_count, 1);
    EXPECT_FALSE(m->receipt.empty());
    ids.insert(m->id);
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_FALSE(receive(queue(), kLong, 0));
}

TEST_P(QueueContract, EmptyQueueReturnsNothing) {
  EXPECT_FALSE(receive(queue(), kLong, 0));
  EXPECT_FALSE(receive(queue(), kLong, 50));
  ASSERT_TRUE(ok(queue().send({})));
  auto s = queue().stats();
  ASSERT_TRUE(ok(s));
  EXPECT_EQ(s->visible + s->in_flight + s->delayed + s->dead, 0);
}

TEST_P(QueueContract, QueuesOfDifferentNamesAreSeparate) {
  ASSERT_TRUE(ok(queue("one").send(bodies({"x"}))));
  EXPECT_FALSE(receive(queue("two"), kLong, 0));
  auto m = receive(queue("one"), kLong, 0);
  ASSERT_TRUE(m);
  EXPECT_TRUE(fails_with(queue("two").remove(*m), ErrorCode::kLeaseLost));
  EXPECT_TRUE(ok(queue("one").remove(*m)));
}

TEST_P(QueueContract, LeasedMessageIsInvisibleToOthers) {
  ASSERT_TRUE(ok(queue().send(bodies({"a"}))));
  auto other = open_again();
  ASSERT_TRUE(other);
  auto other_q = other->queue("q");
  ASSERT_TRUE(ok(other_q));
  auto m = receive(queue(), kLong, 0);
  ASSERT_TRUE(m);
  EXPECT_FALSE(receive(**other_q, kLong, 0));
  EXPECT_FALSE(receive(**other_q, kLong, 100));
  auto s = (*other_q)->stats();
  ASSERT_TRUE(ok(s));
  EXPECT_EQ(s->visible, 0);
  EXPECT_EQ(s->in_flight, 1);
}

TEST_P(QueueContract, ExpiredLeaseRedeliversWithANewReceipt) {
  ASSERT_TRUE(ok(queue().send(bodies({"a"}))));
  auto first = receive(queue(), kShort, 0);
  ASSERT_TRUE(first);
  auto other = open_again();
  ASSERT_TRUE(other);
  auto other_q = other->queue("q");
  ASSERT_TRUE(ok(other_q));
  auto second = receive(**other_q, kLong, kPatience);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->body, "a");
  EXPECT_EQ(second->receive_count, 2);
  EXPECT_NE(second->receipt, first->receipt);

  EXPECT_TRUE(fails_with(queue().renew(*first, kLong), ErrorCode::kLeaseLost));
  EXPECT_TRUE(fails_with(queue().release(*first, 0), ErrorCode::kLeaseLost));
  EXPECT_TRUE(fails_with(queue().remove(*first), ErrorCode::kLeaseLost));
  auto lost = queue().dead_letter(*first, "x");
  ASSERT_TRUE(fails_with(lost, ErrorCode::kLeaseLost));
  EXPECT_THAT(lost.error().message, HasSubstr(first->id));
  EXPECT_TRUE(ok((*other_q)->remove(*second)));
}

TEST_P(QueueContract, ExpiredLeaseCountsAsVisible) {
  ASSERT_TRUE(ok(queue().send(bodies({"a"}))));
  ASSERT_TRUE(receive(queue(), kShort, 0));
  auto s = stats_when(queue(), [](const QueueStats& st) { return st.visible == 1; });
  EXPECT_EQ(s.visible, 1);
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_EQ(s.delayed, 0);
}

TEST_P(QueueContract, RenewExtendsTheLease) {
  ASSERT_TRUE(ok(queue().send(bodies({"a"}))));
  auto m = receive(queue(), kShort, 0);
  ASSERT_TRUE(m);
  ASSERT_TRUE(ok(queue().renew(*m, kLong)));
  auto other = open_again();
  ASSERT_TRUE(other);
  auto other_q = other->queue("q");
  ASSERT_TRUE(ok(other_q));
  EXPECT_FALSE(receive(**other_q, kLong, 3 * kShort));
  EXPECT_TRUE(ok(queue().renew(*m, kLong)));
  EXPECT_TRUE(ok(queue().remove(*m)));
}

TEST_P(QueueContract, ReleaseMakesTheMessageVisibleAgain) {
  ASSERT_TRUE(ok(queue().send(bodies({"a", "b"}))));
  auto m = receive(queue(), kLong, 0);
  ASSERT_TRUE(m);
  ASSERT_TRUE(ok(queue().release(*m, 0)));
  EXPECT_TRUE(fails_with(queue().renew(*m, kLong), ErrorCode::kLeaseLost));
  EXPECT_TRUE(fails_with(queue().release(*m, 0), ErrorCode::kLeaseLost));
  std::vector<Message> got;
  while (auto next = receive(queue(), kLong, 0)) got.push_back(*next);
  ASSERT_EQ(got.size(), 2u);
  auto again =
      std::find_if(got.begin(), got.end(), [&](const Message& x) { return x.id == m->id; });
  ASSERT_NE(again, got.end());
  EXPECT_EQ(again->receive_count, 2);
  EXPECT_NE(again->receipt, m->receipt);
}

TEST_P(QueueContract, ReleaseWithDelayHidesTheMessageUntilTheDelayPasses) {
  constexpr Millis kDelay = 300;
  ASSERT_TRUE(ok(queue().send(bodies({"a"}))));
  auto m = receive(queue(), kLong, 0);
  ASSERT_TRUE(m);
  Millis released = steady_millis();
  ASSERT_TRUE(ok(queue().release(*m, kDelay)));
  auto early = receive(queue(), kLong, 0);
  auto s = queue().stats();
  ASSERT_TRUE(ok(s));
  if (steady_millis() - released < kDelay - 10) {  // the checks only hold before the delay
    EXPECT_FALSE(early);
    EXPECT_EQ(s->delayed, 1);
    EXPECT_EQ(s->visible, 0);
    EXPECT_EQ(s->in_flight, 0);
  }
  auto later = early ? early : receive(queue(), kLong, kPatience);
  ASSERT_TRUE(later);
  EXPECT_GE(steady_millis() - released, kDelay - 10);
  EXPECT_EQ(later->id, m->id);
  EXPECT_EQ(later->receive_count, 2);
}

TEST_P(QueueContract, RemoveDeletesForGood) {
  ASSERT_TRUE(ok(queue().send(bodies({"a"}))));
  auto m = receive(queue(), kShort, 0);
  ASSERT_TRUE(m);
  ASSERT_TRUE(ok(queue().remove(*m)));
  EXPECT_TRUE(fails_with(queue().remove(*m), ErrorCode::kLeaseLost));
  EXPECT_FALSE(receive(queue(), kLong, 2 * kShort));
  auto s = queue().stats();
  ASSERT_TRUE(ok(s));
  EXPECT_EQ(s->visible + s->in_flight + s->delayed + s->dead, 0);
}

TEST_P(QueueContract, DeadLetterSetsTheMessageAside) {
  ASSERT_TRUE(ok(queue().send(bodies({"not json", "b"}))));
  auto m = receive(queue(), kLong, 0);
  ASSERT_TRUE(m);
  ASSERT_TRUE(ok(queue().dead_letter(*m, "its body does not parse")));
  EXPECT_TRUE(fails_with(queue().dead_letter(*m, "again"), ErrorCode::kLeaseLost));
  EXPECT_TRUE(fails_with(queue().remove(*m), ErrorCode::kLeaseLost));
  auto s = queue().stats();
  ASSERT_TRUE(ok(s));
  EXPECT_EQ(s->dead, 1);
  EXPECT_EQ(s->visible, 1);
  auto next = receive(queue(), kLong, 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "b");
}

TEST_P(QueueContract, StatsCountEachState) {
  ASSERT_TRUE(ok(queue().send(bodies({"held", "delayed", "dead", "visible"}))));
  auto held = receive(queue(), kLong, 0);
  auto delayed = receive(queue(), kLong, 0);
  auto dead = receive(queue(), kLong, 0);
  ASSERT_TRUE(held && delayed && dead);
  ASSERT_TRUE(ok(queue().release(*delayed, kLong)));
  ASSERT_TRUE(ok(queue().dead_letter(*dead, "bad")));
  auto s = queue().stats();
  ASSERT_TRUE(ok(s));
  EXPECT_EQ(s->visible, 1);
  EXPECT_EQ(s->in_flight, 1);
  EXPECT_EQ(s->delayed, 1);
  EXPECT_EQ(s->dead, 1);
}

TEST_P(QueueContract, ReceiveWaitsForASend) {
  std::thread sender([url = url()] {
    auto b = open_backend(url);
    ASSERT_TRUE(ok(b));
    auto q = (*b)->queue("q");
    ASSERT_TRUE(ok(q));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the receiver wait
    std::vector<std::string> one = {"late"};
    EXPECT_TRUE(ok((*q)->send(one)));
  });
  auto m = receive(queue(), kLong, kPatience);
  sender.join();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body, "late");
}

TEST_P(QueueContract, TwoBackendsOnOneUrlShareMessages) {
  auto other = open_backend(url());
  ASSERT_TRUE(ok(other));
  auto other_q = (*other)->queue("q");
  ASSERT_TRUE(ok(other_q));
  ASSERT_TRUE(ok(queue().send(bodies({"shared"}))));
  auto m = receive(**other_q, kLong, 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body, "shared");
  EXPECT_TRUE(ok(queue().remove(*m)));  // the receipt is valid on any Backend of the URL
}

TEST_P(QueueContract, ConcurrentReceiversGetEachMessageOnce) {
  constexpr int kMessages = 1000;
  constexpr int kThreads = 4;
  std::vector<std::string> all;
  for (int i = 0; i < kMessages; ++i) all.push_back("m" + std::to_string(i));
  ASSERT_TRUE(ok(queue().send(all)));

  std::mutex mu;
  std::vector<std::string> received;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, url = url()] {
      auto b = open_backend(url);
      ASSERT_TRUE(ok(b));
      auto q = (*b)->queue("q");
      ASSERT_TRUE(ok(q));
      while (auto m = receive(**q, kLong, 0)) {
        EXPECT_EQ(m->receive_count, 1);
        EXPECT_TRUE(ok((*q)->remove(*m)));
        std::lock_guard lock(mu);
        received.push_back(m->body);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(received.begin(), received.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(received, all);
  auto s = queue().stats();
  ASSERT_TRUE(ok(s));
  EXPECT_EQ(s->visible + s->in_flight + s->delayed, 0);
}

}  // namespace
}  // namespace tandem::contract
