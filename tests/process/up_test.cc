// Workers for you: the autoscaled `tandem up`, interruption notices, intake through up.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
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
