// Agents as real processes: many at once, killed mid-job, timeouts, cancel, SIGTERM.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <set>

#include "harness.h"

namespace tandem::testing {
namespace {

pid_t read_pid(const std::string& path) {
  std::string text = read_file(path);
  return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
}

TEST(Agents, FourAgentsDrainTwoThousandJobsExactlyOnce) {
  Sandbox box;
  std::string jobs;
  for (int i = 0; i < 2000; ++i)
    jobs += R"({"job_id": "j)" + std::to_string(i) + R"(", "commands": ["echo )" +
            std::to_string(i) + R"("], "job_success_string": ")" + std::to_string(i) + "\"}\n";
  ASSERT_EQ(box.run({"submit", "-"}, jobs).code, 0);
  std::vector<Proc> agents;
  for (int i = 0; i < 4; ++i) agents.push_back(box.spawn({"agent", "--idle-exit", "1"}));
  for (auto& a : agents) EXPECT_EQ(a.wait(std::chrono::seconds(240)).code, 0);

  auto list = box.jobs();
  ASSERT_EQ(list.size(), 2000u);
  std::set<std::string> ids;
  for (const auto& j : list) {
    ids.insert(j["job_id"].get<std::string>());
    EXPECT_EQ(j["status"], "SUCCEEDED") << j.dump();
    EXPECT_EQ(j["attempts"], 1) << j.dump();
  }
  EXPECT_EQ(ids.size(), 2000u);
  auto q = box.queue();
  EXPECT_EQ(q["depth"], 0);
  EXPECT_EQ(q["in_flight"], 0);
  EXPECT_EQ(q["jobs"]["SUCCEEDED"], 2000);
}

TEST(Agents, KilledAgentsJobDiesWithItAndRunsElsewhereUncharged) {
  Sandbox box;
  std::string child = box.path("grandchild.pid");
  ASSERT_EQ(box.run({"submit", "-"},
                    R"({"job_id": "long", "retry": 0, "commands": [
                        "if [ \"$TANDEM_ATTEMPT\" = 1 ]; then sleep 300 & echo $! > )" + child +
                        R"(; wait; fi", "echo finished"], "job_success_string": "finished"})")
                .code,
            0);
  Proc first = box.spawn({"agent", "--lease", "1", "--worker", "first"});
  ASSERT_TRUE(eventually([&] { return read_pid(child) > 0; }));
  pid_t grandchild = read_pid(child);
  first.signal(SIGKILL);
  first.wait();
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }, std::chrono::seconds(10)))
      << "the job's process tree outlived its agent";

  Proc second = box.spawn({"agent", "--lease", "1", "--idle-exit", "1", "--worker", "second"});
  EXPECT_EQ(second.wait().code, 0);
  auto s = box.status("long");
  EXPECT_EQ(s["status"], "SUCCEEDED");
  ASSERT_EQ(s["attempts"].size(), 2u);
  EXPECT_EQ(s["attempts"][0]["verdict"], "LOST");
  EXPECT_EQ(s["attempts"][0]["worker"], "first");
  EXPECT_EQ(s["attempts"][1]["verdict"], "SUCCEEDED");
  EXPECT_EQ(s["attempts"][1]["worker"], "second");
}

TEST(Agents, TimeoutKillsTheWholeTreeIncludingAGrandchildThatIgnoresSigterm) {
  Sandbox box;
  std::string child = box.path("grandchild.pid");
  ASSERT_EQ(box.run({"submit", "-"},
                    R"({"job_id": "slow", "timeout": 1, "commands": [
                        "sh -c 'trap \"\" TERM; sleep 300' & echo $! > )" + child +
                        R"(", "wait"]})")
                .code,
            0);
  Proc agent = box.spawn({"agent", "--idle-exit", "1", "--kill-grace", "1"});
  ASSERT_TRUE(eventually([&] { return read_pid(child) > 0; }));
  pid_t grandchild = read_pid(child);
  EXPECT_EQ(agent.wait().code, 0);
  EXPECT_TRUE(process_gone(grandchild));
  auto s = box.status("slow");
  EXPECT_EQ(s["status"], "FAILED");
  ASSERT_EQ(s["attempts"].size(), 1u);
  EXPECT_EQ(s["attempts"][0]["verdict"], "TIMED_OUT");
  EXPECT_NE(s["attempts"][0]["reason"].get<std::string>().find("timed out after 1s"),
            std::string::npos);
}

TEST(Agents, CancelStopsARunningJobAndItsTree) {
  Sandbox box;
  std::string child = box.path("grandchild.pid");
  ASSERT_EQ(box.run({"submit", "-"}, R"({"job_id": "c", "retry": 5, "commands": [
                        "sleep 300 & echo $! > )" + child + R"(", "wait"]})")
                .code,
            0);
  Proc agent = box.spawn({"agent", "--idle-exit", "1", "--kill-grace", "1"});
  ASSERT_TRUE(eventually([&] { return read_pid(child) > 0; }));
  auto c = box.run({"cancel", "c"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("asked to stop"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return box.status("c")["status"] == "CANCELLED"; }));
  EXPECT_TRUE(process_gone(read_pid(child)));
  auto s = box.status("c");
  ASSERT_EQ(s["attempts"].size(), 1u);  // not retried
  EXPECT_EQ(s["attempts"][0]["verdict"], "CANCELLED");
  EXPECT_EQ(agent.wait().code, 0);
}

TEST(Agents, SigtermFinishesTheCurrentJobAndTakesNoOther) {
  Sandbox box;
  std::string started = box.path("started"), go = box.path("go");
  ASSERT_EQ(box.run({"submit", "-"},
                    R"([{"job_id": "first", "commands": ["touch )" + started +
                        R"(", "while [ ! -e )" + go + R"( ]; do sleep 0.05; done", "echo done"]},
                        {"job_id": "second", "commands": ["echo second"]}])")
                .code,
            0);
  Proc agent = box.spawn({"agent"});
  ASSERT_TRUE(eventually([&] { return std::ifstream(started).good(); }));
  agent.signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return agent.err().find("shutdown requested") != std::string::npos; }));
  std::ofstream(go) << "";
  auto out = agent.wait();
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(box.status("first")["status"], "SUCCEEDED");
  EXPECT_EQ(box.status("second")["status"], "PENDING");
  EXPECT_EQ(box.status("second")["attempts"].size(), 0u);
}

TEST(Agents, SecondSigtermReturnsTheJobAtOnceUncharged) {
  Sandbox box;
  std::string started = box.path("started");
  ASSERT_EQ(box.run({"submit", "-"}, R"({"job_id": "j", "retry": 0, "commands": [
                        "if [ \"$TANDEM_ATTEMPT\" = 1 ]; then touch )" + started +
                                         R"(; sleep 300; fi"]})")
                .code,
            0);
  Proc agent = box.spawn({"agent", "--kill-grace", "1"});
  ASSERT_TRUE(eventually([&] { return std::ifstream(started).good(); }));
  agent.signal(SIGTERM);  // signals of one kind merge while pending: send the second after
  ASSERT_TRUE(eventually([&] { return agent.err().find("shutdown requested") != std::string::npos; }));
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait().code, 0);
  auto s = box.status("j");
  EXPECT_EQ(s["status"], "PENDING");
  ASSERT_EQ(s["attempts"].size(), 1u);
  EXPECT_EQ(s["attempts"][0]["verdict"], "INTERRUPTED");
  EXPECT_EQ(box.queue()["depth"], 1);  // back in the queue at once, not after the lease

  ASSERT_EQ(box.run({"agent", "--idle-exit", "0.5"}).code, 0);
  EXPECT_EQ(box.status("j")["status"], "SUCCEEDED");  // retry 0, yet it ran again
}

}  // namespace
}  // namespace tandem::testing
