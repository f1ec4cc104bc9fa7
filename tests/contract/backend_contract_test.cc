// The Backend contract (backend/backend.h): submit, and opening by URL.
#include "backend_contract.h"

#include <gmock/gmock.h>

#include <cstdlib>

#include "job/parse.h"

namespace tandem::contract {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class SubmitContract : public BackendContract {};
TANDEM_CONTRACT_SUITE(SubmitContract);

// Every message of queue `q`, received (and left leased).
std::vector<JobSpec> drain(Queue& q) {
  std::vector<JobSpec> out;
  while (auto m = receive(q, 60'000, 0)) {
    auto spec = job_from_json(nlohmann::json::parse(m->body), "message");
    EXPECT_TRUE(ok(spec));
    if (spec) out.push_back(*spec);
  }
  return out;
}

TEST_P(SubmitContract, RecordsTheJobsAndEnqueuesThem) {
  JobSpec b = make_job("b");
  b.retry = 2;
  b.timeout_seconds = 30;
  std::vector jobs = {make_job("a"), b};
  auto r = backend().submit(jobs, "work");
  ASSERT_TRUE(ok(r));
  EXPECT_THAT(r->added, ElementsAre("a", "b"));
  EXPECT_EQ(r->existing, 0);
  EXPECT_THAT(drain(queue("work")), ElementsAre(make_job("a"), b));
  auto got = table().get("b");
  ASSERT_TRUE(ok(got));
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->status, Status::kPending);
  EXPECT_EQ((*got)->spec, b);
}

TEST_P(SubmitContract, EnqueuesOnlyTheNewJobs) {
  std::vector first = {make_job("a"), make_job("b")};
  ASSERT_TRUE(ok(backend().submit(first, "work")));
  std::vector again = {make_job("b"), make_job("c"), make_job("a")};
  auto r = backend().submit(again, "work");
  ASSERT_TRUE(ok(r));
  EXPECT_THAT(r->added, ElementsAre("c"));
  EXPECT_EQ(r->existing, 2);
  EXPECT_THAT(drain(queue("work")), ElementsAre(make_job("a"), make_job("b"), make_job("c")));
}

TEST_P(SubmitContract, AConflictRecordsAndEnqueuesNothing) {
  std::vector first = {make_job("a")};
  ASSERT_TRUE(ok(backend().submit(first, "work")));
  std::vector bad = {make_job("fresh"), make_job("a", "echo changed")};
  auto r = backend().submit(bad, "work");
  ASSERT_TRUE(fails_with(r, ErrorCode::kConflict));
  EXPECT_THAT(r.error().message, HasSubstr("'a'"));
  auto fresh = table().get("fresh");
  ASSERT_TRUE(ok(fresh));
  EXPECT_FALSE(*fresh);
  EXPECT_THAT(drain(queue("work")), ElementsAre(make_job("a")));
}

TEST_P(SubmitContract, TwoBackendsOnOneUrlShareSubmissions) {
  auto other = open_again();
  ASSERT_TRUE(other);
  std::vector jobs = {make_job("a")};
  ASSERT_TRUE(ok(backend().submit(jobs, std::string(kDefaultQueue))));
  auto q = other->queue(kDefaultQueue);
  ASSERT_TRUE(ok(q));
  EXPECT_THAT(drain(**q), ElementsAre(make_job("a")));
  auto counts = other->table().counts();
  ASSERT_TRUE(ok(counts));
  EXPECT_EQ(counts->get(Status::kPending), 1);
}

TEST_P(SubmitContract, NamesItself) {
  std::string scheme = url().substr(0, url().find("://") + 3);
  EXPECT_THAT(backend().redacted_url(), StartsWith(scheme));
  EXPECT_FALSE(backend().state_dir().empty());
}

TEST(OpenBackend, AnUnknownSchemeIsInvalid) {
  auto r = open_backend("nosuch://x");
  ASSERT_TRUE(fails_with(r, ErrorCode::kInvalid));
  EXPECT_EQ(r.error().message,
            "unknown backend scheme 'nosuch' in URL 'nosuch://x'; known: sqlite://PATH, "
            "memory://NAME");
  EXPECT_TRUE(fails_with(open_backend("just-a-path.db"), ErrorCode::kInvalid));
  EXPECT_TRUE(fails_with(open_backend(""), ErrorCode::kInvalid));
}

TEST(OpenBackend, AnUnknownSchemeErrorHidesThePassword) {
  auto r = open_backend("postgres://user:secret@db.example/tandem");
  ASSERT_TRUE(fails_with(r, ErrorCode::kInvalid));
  EXPECT_THAT(r.error().message, Not(HasSubstr("secret")));
  EXPECT_THAT(r.error().message, HasSubstr("postgres://user:***@db.example/tandem"));
}

TEST(OpenBackend, EmptyNamesAreInvalid) {
  EXPECT_TRUE(fails_with(open_backend("memory://"), ErrorCode::kInvalid));
  EXPECT_TRUE(fails_with(open_backend("sqlite://"), ErrorCode::kInvalid));
}

TEST(OpenBackend, MemoryBackendNamesItsStateDir) {
  auto b = open_backend("memory://state-dir-test");
  ASSERT_TRUE(ok(b));
  EXPECT_EQ((*b)->redacted_url(), "memory://state-dir-test");
  EXPECT_THAT((*b)->state_dir(), HasSubstr("tandem-memory-state-dir-test"));
}

TEST(BackendUrl, FlagThenEnvironmentThenDefault) {
  const char* saved = std::getenv("TANDEM_BACKEND");
  std::string restore = saved != nullptr ? saved : "";
  setenv("TANDEM_BACKEND", "memory://from-env", 1);
  EXPECT_EQ(backend_url("memory://flag"), "memory://flag");
  EXPECT_EQ(backend_url(""), "memory://from-env");
  setenv("TANDEM_BACKEND", "", 1);
  EXPECT_EQ(backend_url(""), kDefaultBackendUrl);
  unsetenv("TANDEM_BACKEND");
  EXPECT_EQ(backend_url(""), kDefaultBackendUrl);
  if (saved != nullptr) setenv("TANDEM_BACKEND", restore.c_str(), 1);
}

}  // namespace
}  // namespace tandem::contract
