// Workers for you: the autoscaled `tandem up`, interruption notices, intake through up.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <algorithm>
#include <fstream>

#include "harness.h"

namespace tandem::testing {
namespace {

namespace fs = std::filesystem;

std::size_t live_workers(const Sandbox& box) {
  auto r = box.run({"workers", "--json"});
  if (r.code != 0) return 0;
  return nlohmann::json::parse(r.out).size();
}

TEST(Up, WorkersGoFromZeroToMaxAndBackToZeroAcrossABurst) {
  Sandbox box;
  Proc up = box.spawn({"up", "--max-workers", "3", "--idle-exit", "1", "--price", "0.36"});
  ASSERT_TRUE(eventually([&] { return up.err().find("until stopped") != std::string::npos; }));
  EXPECT_EQ(live_workers(box), 0u);  // nothing to do: no worker

  std::string jobs;
  for (int i = 0; i < 30; ++i)
    jobs += R"({"job_id": "burst)" + std::to_string(i) + R"(", "commands": ["sleep 0.2"]})" + "\n";
  ASSERT_EQ(box.run({"submit", "-"}, jobs).code, 0);
  EXPECT_TRUE(eventually([&] { return live_workers(box) == 3; }, std::chrono::seconds(30)))
      << up.err();
  EXPECT_TRUE(eventually([&] { return box.queue()["jobs"]["SUCCEEDED"] == 30; },
                         std::chrono::seconds(60)));
  // Scale-down: the agents leave the empty queue by themselves.
  EXPECT_TRUE(eventually([&] { return live_workers(box) == 0; }, std::chrono::seconds(30)));
  EXPECT_FALSE(up.exited());  // up keeps running, with zero workers

  up.signal(SIGTERM);
  auto out = up.wait(std::chrono::seconds(30));
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_NE(out.err.find("autoscaler: 30 job(s)"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find("cost: local: 3 worker(s)"), std::string::npos) << out.err;
}

TEST(Up, AnInterruptionNoticeReturnsTheJobAtOnceUncharged) {
  Sandbox box;
  std::string started = box.path("started");
  ASSERT_EQ(box.run({"submit", "-"}, R"({"job_id": "j", "retry": 0, "commands": [
                        "if [ \"$TANDEM_ATTEMPT\" = 1 ]; then touch )" + started +
                                         R"(; sleep 300; fi"]})")
                .code,
            0);
  Proc agent = box.spawn({"agent", "--worker", "spot-1", "--tier", "spot", "--kill-grace", "1"});
  ASSERT_TRUE(eventually([&] { return std::ifstream(started).good(); }));
  auto w = box.run({"workers", "--json"});
  ASSERT_EQ(w.code, 0);
  auto list = nlohmann::json::parse(w.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "spot-1");
  EXPECT_EQ(list[0]["tier"], "spot");
  EXPECT_TRUE(eventually([&] {
    auto l = nlohmann::json::parse(box.run({"workers", "--json"}).out);
    return !l.empty() && l[0]["state"] == "BUSY" && l[0]["job_id"] == "j";
  })) << box.run({"workers", "--json"}).out;

  auto r = box.run({"interrupt", "spot-1", "--grace", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto out = agent.wait(std::chrono::seconds(30));
  EXPECT_EQ(out.code, 0) << out.err;
  auto s = box.status("j");
  EXPECT_EQ(s["status"], "PENDING");
  ASSERT_EQ(s["attempts"].size(), 1u);
  EXPECT_EQ(s["attempts"][0]["verdict"], "INTERRUPTED");
  EXPECT_NE(s["attempts"][0]["reason"].get<std::string>().find("interruption notice"),
            std::string::npos);
  EXPECT_EQ(box.queue()["depth"], 1);  // back at once, not after the lease
  EXPECT_EQ(live_workers(box), 0u);

  ASSERT_EQ(box.run({"agent", "--idle-exit", "0.5"}).code, 0);
  EXPECT_EQ(box.status("j")["status"], "SUCCEEDED");  // retry 0: the interruption was not charged
}

TEST(Up, AFolderDroppedInTheStoreComesBackWithResults) {
  Sandbox box;
  const fs::path drop = box.dir() / "drop";
  fs::create_directories(drop / "case 1");
  std::ofstream(drop / "case 1" / "input.txt") << "21\n";
  Proc up = box.spawn({"up", "--max-workers", "2", "--idle-exit", "1", "--store",
                       "file://" + drop.string()});
  ASSERT_TRUE(eventually([&] { return up.err().find("until stopped") != std::string::npos; }));
  {
    std::ofstream exe(drop / "case 1" / "run.sh");
    exe << "#!/bin/sh\necho $(( $(cat input.txt) * 2 )) > result.txt\n";
  }
  fs::permissions(drop / "case 1" / "run.sh", fs::perms::owner_all);
  EXPECT_TRUE(eventually([&] { return fs::exists(drop / "case 1" / "result.txt"); },
                         std::chrono::seconds(60)))
      << up.err();
  EXPECT_EQ(read_file((drop / "case 1" / "result.txt").string()), "42\n");
  EXPECT_TRUE(eventually([&] { return box.status("case 1/run.sh")["status"] == "SUCCEEDED"; }));
  up.signal(SIGTERM);
  EXPECT_EQ(up.wait(std::chrono::seconds(30)).code, 0);
}

}  // namespace
}  // namespace tandem::testing

namespace tandem::testing {
namespace {

TEST(Up, AnInterruptionStormLosesNothingAndChargesNoRetry) {
  Sandbox box;
  std::ofstream(box.path("storm.toml")) << R"(
idle_exit = 2
[[tier]]
name = "on-demand"
max = 1
price = 0.4
[[tier]]
name = "spot"
max = 3
price = 0.1
interruptible = true
interruption_rate = 600
interruption_grace = 5
)";
  std::string jobs;
  // One job in ten runs for a second: a notice finds most workers in the middle of one.
  for (int i = 0; i < 500; ++i)
    jobs += R"({"job_id": "s)" + std::to_string(i) + R"(", "retry": 0, "commands": ["sleep )" +
            (i % 10 == 0 ? "1" : "0.05") + "\"]}\n";
  ASSERT_EQ(box.run({"submit", "-"}, jobs).code, 0);
  Proc up = box.spawn({"up", "--config", box.path("storm.toml"), "--kill-grace", "1"});
  EXPECT_TRUE(eventually([&] { return box.queue()["jobs"]["SUCCEEDED"] == 500; },
                         std::chrono::seconds(240)))
      << box.run({"queue"}).out << up.err();
  up.signal(SIGTERM);
  auto out = up.wait(std::chrono::seconds(60));
  EXPECT_EQ(out.code, 0);
  EXPECT_NE(out.err.find("(simulated)"), std::string::npos) << "no interruption happened";
  EXPECT_NE(out.err.find("cost: on-demand: 1 worker(s)"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find("spot: "), std::string::npos) << out.err;

  auto list = box.jobs();
  ASSERT_EQ(list.size(), 500u);
  int interrupted_jobs = 0;
  for (const auto& j : list) {
    ASSERT_EQ(j["status"], "SUCCEEDED") << j.dump();
    if (j["attempts"].get<int>() > 1) ++interrupted_jobs;
  }
  EXPECT_GT(interrupted_jobs, 0) << "the storm interrupted no running job";
  auto events = box.run({"events", "--json", "--stream", "finished"});
  EXPECT_EQ(std::count(events.out.begin(), events.out.end(), '\n'), 500);
}

TEST(Up, APipelineHandsEachStagesResultsToTheNext) {
  Sandbox box;
  const fs::path drop = box.dir() / "drop";
  fs::create_directories(drop / "pre" / "c1");
  fs::create_directories(box.dir() / "stages");
  std::ofstream(box.path("stages/second.sh")) << "#!/bin/sh\nexpr $(cat out1.txt) + 1 > out2.txt\n";
  std::ofstream(box.path("pipe.toml"))
      << "idle_exit = 2\n[store]\nurl = \"file://" << drop.string() << "\"\n"
      << "[[stage]]\nname = \"second\"\nfrom = \"pre/\"\nto = \"next/\"\nexecutable = \""
      << box.path("stages/second.sh") << "\"\n";
  Proc up = box.spawn({"up", "--config", box.path("pipe.toml")});
  ASSERT_TRUE(eventually([&] { return up.err().find("until stopped") != std::string::npos; }));
  std::ofstream(drop / "pre" / "c1" / "in.txt") << "40\n";
  {
    std::ofstream exe(drop / "pre" / "c1" / "first.sh");
    exe << "#!/bin/sh\nexpr $(cat in.txt) + 1 > out1.txt\n";
  }
  EXPECT_TRUE(eventually([&] { return fs::exists(drop / "next" / "c1" / "out2.txt"); },
                         std::chrono::seconds(60)))
      << up.err();
  EXPECT_EQ(read_file((drop / "next" / "c1" / "out2.txt").string()), "42\n");
  EXPECT_TRUE(fs::exists(drop / "next" / "c1" / "in.txt"));
  EXPECT_FALSE(fs::exists(drop / "next" / "c1" / "first.sh"));  // executables are not copied on
  EXPECT_EQ(box.status("next/c1/second.sh")["status"], "SUCCEEDED");
  up.signal(SIGTERM);
  EXPECT_EQ(up.wait(std::chrono::seconds(30)).code, 0);
}

TEST(Up, ABadConfigIsAClearError) {
  Sandbox box;
  std::ofstream(box.path("bad.toml")) << "[[tier]]\nname = \"spot\"\nmax = 0\nprise = 1\n";
  auto r = box.run({"up", "--config", box.path("bad.toml")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tier[1].prise: unknown key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tier[1].max: must be at least 1"), std::string::npos) << r.err;
  std::ofstream(box.path("broken.toml")) << "queue = \n";
  r = box.run({"up", "--config", box.path("broken.toml")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("broken.toml:1"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tandem::testing
