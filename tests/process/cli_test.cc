// The CLI as a user meets it: submit, status, jobs, logs, wait, cancel, queue, up.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>

#include "harness.h"

namespace tandem::testing {
namespace {

const char* kHelloWorld = R"([
  {"job_id": "Job1", "retry": "3", "job_success_string": "Hello EVERYONE",
   "ssm_document": "AWS-RunShellScript", "commands": ["echo Hello World"]},
  {"job_id": "Job2", "retry": 3, "job_success_string": "Hello",
   "ssm_document": "AWS-RunShellScript", "commands": ["echo Hello World"]}])";

TEST(Cli, ThePostsHelloWorldExample) {
  Sandbox box;
  ASSERT_EQ(box.run({"submit", "-"}, kHelloWorld).code, 0);
  auto up = box.run({"up", "--workers", "2", "--backoff", "0"});
  ASSERT_EQ(up.code, 0) << up.err;

  auto job1 = box.status("Job1");
  EXPECT_EQ(job1["status"], "FAILED");
  ASSERT_EQ(job1["attempts"].size(), 4u);
  for (const auto& a : job1["attempts"]) {
    EXPECT_EQ(a["verdict"], "FAILED");
    EXPECT_EQ(a["exit_code"], 0);
    EXPECT_EQ(a["output_tail"], "Hello World\n");
    EXPECT_NE(a["reason"].get<std::string>().find("success string"), std::string::npos);
    EXPECT_FALSE(a["worker"].get<std::string>().empty());
    EXPECT_FALSE(a["ended_at"].is_null());
  }
  auto job2 = box.status("Job2");
  EXPECT_EQ(job2["status"], "SUCCEEDED");
  ASSERT_EQ(job2["attempts"].size(), 1u);
  EXPECT_EQ(job2["commands"][0], "echo Hello World");
  EXPECT_EQ(job2["retry"], 3);

  auto logs = box.run({"logs", "Job1", "--attempt", "2"});
  EXPECT_EQ(logs.code, 0);
  EXPECT_EQ(logs.out, "Hello World\n");

  EXPECT_EQ(box.run({"wait", "Job2"}).code, 0);
  EXPECT_EQ(box.run({"wait", "Job1"}).code, 1);
  EXPECT_EQ(box.run({"wait"}).code, 1);  // not all succeeded

  auto q = box.queue();
  EXPECT_EQ(q["depth"], 0);
  EXPECT_EQ(q["in_flight"], 0);
  EXPECT_EQ(q["jobs"]["FAILED"], 1);
  EXPECT_EQ(q["jobs"]["SUCCEEDED"], 1);

  auto human = box.run({"status", "Job1"});
  EXPECT_NE(human.out.find("status:     FAILED"), std::string::npos) << human.out;
  auto table = box.run({"jobs", "--status", "succeeded"});
  EXPECT_NE(table.out.find("Job2"), std::string::npos);
  EXPECT_EQ(table.out.find("Job1"), std::string::npos);
}

TEST(Cli, BadBatchEnqueuesNothing) {
  Sandbox box;
  auto r = box.run({"submit", "-"}, R"([{"job_id": "ok", "commands": ["true"]},
                                        {"job_id": "bad", "commands": ["true"], "timout": 5}])");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("job 2 (job_id 'bad')"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown field 'timout'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was submitted"), std::string::npos) << r.err;
  EXPECT_EQ(box.jobs().size(), 0u);
  EXPECT_EQ(box.queue()["depth"], 0);
}

TEST(Cli, SameJobIdWithOtherContentIsRefusedAndTheFirstIsKept) {
  Sandbox box;
  ASSERT_EQ(box.run({"submit", "-"}, R"({"job_id": "a", "commands": ["true"]})").code, 0);
  auto again = box.run({"submit", "-"}, R"({"job_id": "a", "commands": ["true"]})");
  EXPECT_EQ(again.code, 0);  // identical: accepted, not added twice
  auto other = box.run({"submit", "-"}, R"([{"job_id": "b", "commands": ["true"]},
                                             {"job_id": "a", "commands": ["false"]}])");
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("'a'"), std::string::npos) << other.err;
  auto jobs = box.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(box.status("a")["commands"][0], "true");
  EXPECT_EQ(box.queue()["depth"], 1);
}

TEST(Cli, SubmitFromACommandLineAndFromJsonLines) {
  Sandbox box;
  auto r = box.run({"submit", "--cmd", "echo one", "--cmd", "echo two", "--id", "c1",
                    "--retry", "2", "--timeout", "30"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "c1\n");
  auto s = box.status("c1");
  EXPECT_EQ(s["commands"].size(), 2u);
  EXPECT_EQ(s["retry"], 2);
  EXPECT_EQ(s["timeout"], 30.0);
  ASSERT_EQ(box.run({"submit", "-"}, "{\"job_id\": \"l1\", \"commands\": [\"true\"]}\n"
                                     "{\"job_id\": \"l2\", \"commands\": [\"true\"]}\n")
                .code,
            0);
  EXPECT_EQ(box.jobs().size(), 3u);
  EXPECT_EQ(box.run({"submit"}).code, 2);  // neither FILE nor --cmd
  auto missing = box.run({"submit", box.path("nope.json")});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos);
}

TEST(Cli, UnknownThingsAreClearErrors) {
  Sandbox box;
  auto r = box.run({"status", "nope"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("no job with job_id 'nope'"), std::string::npos) << r.err;
  r = box.run({"--backend", "redis://x", "jobs"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown backend scheme"), std::string::npos) << r.err;
  r = box.run({"jobs", "--status", "DONE"});
  EXPECT_EQ(r.code, 2);
  r = box.run({"cancel", "nope"});
  EXPECT_NE(r.code, 0);
}

TEST(Cli, EveryCommandHasHelpWithAnExample) {
  Sandbox box;
  for (const char* cmd : {"submit", "status", "jobs", "logs", "wait", "cancel", "queue", "agent",
                          "up"}) {
    auto r = box.run({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd;
  }
}

TEST(Cli, EnvAndTimeoutFieldsReachTheJob) {
  Sandbox box;
  ASSERT_EQ(box.run({"submit", "-"},
                    R"({"job_id": "e", "commands": ["echo \"$GREETING from $TANDEM_JOB_ID\""],
                        "env": {"GREETING": "hi there"}, "job_success_string": "hi there from e"})")
                .code,
            0);
  ASSERT_EQ(box.run({"up", "--workers", "1"}).code, 0);
  EXPECT_EQ(box.status("e")["status"], "SUCCEEDED");
}

TEST(Cli, CancelAPendingJobAndItNeverRuns) {
  Sandbox box;
  ASSERT_EQ(box.run({"submit", "--cmd", "touch ran", "--id", "p"}).code, 0);
  auto c = box.run({"cancel", "p"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(box.status("p")["status"], "CANCELLED");
  EXPECT_NE(box.run({"cancel", "p"}).code, 0);  // already final
  ASSERT_EQ(box.run({"agent", "--idle-exit", "0.5"}).code, 0);
  EXPECT_EQ(box.status("p")["attempts"].size(), 0u);
  EXPECT_EQ(box.queue()["depth"], 0);
}

}  // namespace
}  // namespace tandem::testing

namespace tandem::testing {
namespace {

TEST(Cli, ASubmitKilledMidwayLeavesAllOrNothing) {
  Sandbox box;
  std::string jobs;
  for (int i = 0; i < 60000; ++i)
    jobs += R"({"job_id": "k)" + std::to_string(i) + R"(", "commands": ["true"]})" + "\n";
  const std::string file = box.path("big.jsonl");
  std::ofstream(file) << jobs;
  Proc submit = box.spawn({"submit", file});
  // Kill it once its transaction is writing (the write-ahead log exists and grows).
  const std::string wal = box.path("state/tandem.db-wal");
  bool writing = eventually([&] {
    std::error_code ec;
    return std::filesystem::file_size(wal, ec) > 500'000 || submit.exited();
  });
  ASSERT_TRUE(writing);
  submit.signal(SIGKILL);
  submit.wait();
  auto n = box.jobs().size();
  EXPECT_TRUE(n == 0 || n == 60000u) << n << " jobs recorded";
  EXPECT_EQ(box.queue()["depth"].get<std::size_t>(), n);
  ASSERT_EQ(box.run({"submit", file}).code, 0);  // submitting again completes it
  EXPECT_EQ(box.queue()["depth"], 60000);
}

}  // namespace
}  // namespace tandem::testing

namespace tandem::testing {
namespace {

TEST(Cli, UpDrainsItsOwnQueueAndLeavesOthersAlone) {
  Sandbox box;
  ASSERT_EQ(box.run({"submit", "--cmd", "true", "--id", "mine"}).code, 0);
  ASSERT_EQ(box.run({"submit", "--cmd", "true", "--id", "theirs", "--queue", "other"}).code, 0);
  auto up = box.spawn({"up", "--workers", "1"});
  auto out = up.wait(std::chrono::seconds(60));
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(box.status("mine")["status"], "SUCCEEDED");
  EXPECT_EQ(box.status("theirs")["status"], "PENDING");
}

TEST(Cli, AgentOptionsOutOfRangeAreRefused) {
  Sandbox box;
  for (std::vector<std::string> args :
       {std::vector<std::string>{"agent", "--max-lost", "0"}, {"agent", "--backoff", "-1"},
        {"agent", "--slots", "0"}, {"up", "--workers", "0"}, {"agent", "--kill-grace", "-2"}}) {
    auto r = box.run(args);
    EXPECT_EQ(r.code, 2) << args[1];
    EXPECT_NE(r.err.find(args[1]), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tandem::testing
