// tandem events | workers | interrupt, on the real binary.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include "harness.h"

namespace tandem::testing {
namespace {

namespace fs = std::filesystem;

const char* kTwoJobs = R"([{"job_id": "good", "commands": ["true"]},
                           {"job_id": "bad", "commands": ["false"]}])";

// Each line of `text`, parsed as JSON.
std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Submits kTwoJobs and runs them to their end.
void run_two_jobs(const Sandbox& box) {
  ASSERT_EQ(box.run({"submit", "-"}, kTwoJobs).code, 0);
  auto up = box.run({"up", "--workers", "1", "--backoff", "0"});
  ASSERT_EQ(up.code, 0) << up.err;
}

// Where the next spawned process writes its stdout: the harness numbers every run's
// out.N, and each finished run has created its file.
fs::path next_stdout(const Sandbox& box) {
  int last = 0;
  for (const auto& entry : fs::directory_iterator(box.dir())) {
    std::string name = entry.path().filename().string();
    int n = 0;
    if (name.rfind("out.", 0) != 0) continue;
    auto [ptr, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), n);
    if (ec == std::errc() && ptr == name.data() + name.size()) last = std::max(last, n);
  }
  return box.dir() / ("out." + std::to_string(last + 1));
}

TEST(Events, OneFinishedAndOneFailedEvent) {
  Sandbox box;
  run_two_jobs(box);
  auto r = box.run({"events", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto events = json_lines(r.out);
  ASSERT_EQ(events.size(), 2u) << r.out;
  std::map<std::string, nlohmann::json> by_job;
  for (const auto& e : events) by_job[e["job_id"]] = e;
  EXPECT_EQ(by_job["good"]["stream"], "finished");
  EXPECT_EQ(by_job["good"]["status"], "SUCCEEDED");
  EXPECT_EQ(by_job["bad"]["stream"], "failed");
  EXPECT_EQ(by_job["bad"]["status"], "FAILED");
  for (const auto& e : events) {
    EXPECT_EQ(e["attempts"], 1);
    EXPECT_FALSE(e["at"].get<std::string>().empty());
    EXPECT_TRUE(e["reason"].is_string());
  }
  EXPECT_LT(events[0]["seq"].get<long>(), events[1]["seq"].get<long>());

  auto failed = json_lines(box.run({"events", "--json", "--stream", "failed"}).out);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["job_id"], "bad");
  auto human = box.run({"events"});
  EXPECT_NE(human.out.find("finished"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("bad"), std::string::npos) << human.out;
  EXPECT_EQ(box.run({"events", "--stream", "done"}).code, 2);
}

TEST(Events, AConsumerGetsEachEventOnce) {
  Sandbox box;
  run_two_jobs(box);
  auto first = box.run({"events", "--consumer", "c", "--json"});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(json_lines(first.out).size(), 2u);
  auto second = box.run({"events", "--consumer", "c", "--json"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(second.out, "");
  EXPECT_EQ(json_lines(box.run({"events", "--consumer", "c", "--from-start", "--json"}).out).size(),
            2u);
  EXPECT_EQ(json_lines(box.run({"events", "--consumer", "other", "--json"}).out).size(), 2u);
}

TEST(Events, FollowPrintsAnEventWhenItsJobEnds) {
  Sandbox box;
  ASSERT_EQ(box.run({"submit", "-"}, R"({"job_id": "later", "commands": ["true"]})").code, 0);
  fs::path out = next_stdout(box);
  Proc follow = box.spawn({"events", "--follow", "--consumer", "c2", "--json"});
  auto up = box.run({"up", "--workers", "1"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_TRUE(eventually([&] { return read_file(out).find("\"later\"") != std::string::npos; }))
      << follow.err();
  follow.signal(SIGTERM);
  auto ended = follow.wait();
  EXPECT_EQ(ended.code, 0) << ended.err;
  auto events = json_lines(ended.out);
  ASSERT_EQ(events.size(), 1u) << ended.out;
  EXPECT_EQ(events[0]["job_id"], "later");
  EXPECT_EQ(events[0]["stream"], "finished");
  EXPECT_EQ(box.run({"events", "--consumer", "c2"}).out, "");
}

TEST(Workers, NoneYetAndInterruptOfAnUnknownWorker) {
  Sandbox box;
  auto listed = box.run({"workers"});
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find("no live workers"), std::string::npos) << listed.out;
  auto json = box.run({"workers", "--json", "--all"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out), nlohmann::json::array());
  auto unknown = box.run({"interrupt", "nobody"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("no worker 'nobody'"), std::string::npos) << unknown.err;
  EXPECT_EQ(box.run({"interrupt", "nobody", "--grace", "-1"}).code, 2);
  EXPECT_NE(box.run({"interrupt"}).code, 0);
}

TEST(Events, EachCommandHasHelpWithAnExample) {
  Sandbox box;
  for (const char* cmd : {"events", "workers", "interrupt"}) {
    auto r = box.run({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd;
  }
}

}  // namespace
}  // namespace tandem::testing
