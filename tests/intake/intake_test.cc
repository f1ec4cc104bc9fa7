// Intake::scan on a memory:// store and a memory:// backend: which keys become jobs,
// what those jobs carry, and that keys never reach a command string.
#include "intake/intake.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>

#include "fakes.h"

namespace tandem {
namespace {

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = testing::unique_name("intake");
    options_.store_url = "memory://" + name;
    auto s = open_store(options_.store_url);
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
    auto b = open_backend("memory://" + name);
    ASSERT_TRUE(b) << b.error().to_string();
    backend_ = std::move(*b);
  }

  void put(const std::string& key, const std::string& data = "x") {
    auto r = store_->put(key, data);
    ASSERT_TRUE(r) << r.error().to_string();
  }

  ScanReport scan(Store& store) {
    Intake intake(store, *backend_, options_);
    auto r = intake.scan();
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : ScanReport{};
  }
  ScanReport scan() { return scan(*store_); }

  JobRecord job(const std::string& id) {
    auto r = backend_->table().get(id);
    EXPECT_TRUE(r && *r) << id;
    return r && *r ? **r : JobRecord{};
  }

  long queued() {
    auto q = backend_->queue(options_.queue);
    EXPECT_TRUE(q);
    auto s = (*q)->stats();
    EXPECT_TRUE(s);
    return s ? s->visible : -1;
  }

  // The job is runnable: its commands are the fixed string and the key travels in env.
  void expect_runnable(const std::string& key) {
    const auto r = job(key);
    EXPECT_EQ(r.status, Status::kPending) << key;
    ASSERT_EQ(r.spec.commands.size(), 1u) << key;
    EXPECT_EQ(r.spec.commands[0], std::string(kStageRunShell)) << key;
    EXPECT_EQ(r.spec.env.at(kEnvKey), key);
    EXPECT_EQ(r.spec.env.at(kEnvStore), options_.store_url);
    EXPECT_EQ(r.spec.env.at(kEnvSuffix), options_.suffix);
    EXPECT_EQ(r.spec.ssm_document, "AWS-RunShellScript");
  }

  // The key is recorded under `job_id` as FAILED, with a reason that contains `why`.
  void expect_refused(const std::string& job_id, const std::string& why) {
    const auto r = job(job_id);
    EXPECT_EQ(r.status, Status::kFailed) << job_id;
    EXPECT_NE(r.reason.find(why), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("never run"), std::string::npos) << r.reason;
    EXPECT_EQ(r.spec.commands, std::vector<std::string>{std::string(kRefusedCommand)});
    EXPECT_TRUE(r.attempts.empty());
  }

  IntakeOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(IntakeTest, InputsWithoutAnExecutableMakeNoJob) {
  put("jobs/a/input.dat");
  put("jobs/a/more/input2.dat");
  const auto r = scan();
  EXPECT_TRUE(r.submitted.empty());
  EXPECT_TRUE(r.refused.empty());
  EXPECT_EQ(backend_->table().counts()->total(), 0);
  EXPECT_EQ(queued(), 0);
}

TEST_F(IntakeTest, AnExecutableMakesOneJobNamedByItsKey) {
  options_.retry = 2;
  options_.success_string = "upload:";
  options_.timeout = 30;
  put("jobs/a/input.dat");
  put("jobs/a/run.sh", "#!/bin/sh\necho hi\n");
  const auto r = scan();
  EXPECT_EQ(r.submitted, std::vector<std::string>{"jobs/a/run.sh"});
  expect_runnable("jobs/a/run.sh");
  const auto spec = job("jobs/a/run.sh").spec;
  EXPECT_EQ(spec.retry, 2);
  EXPECT_EQ(spec.success_string, "upload:");
  EXPECT_EQ(spec.timeout_seconds, 30);
  EXPECT_EQ(spec.commands[0].find("jobs/a"), std::string::npos);
  EXPECT_EQ(queued(), 1);
}

TEST_F(IntakeTest, ASecondScanAndARestartSubmitNothingNew) {
  put("jobs/a/run.sh");
  Intake intake(*store_, *backend_, options_);
  ASSERT_EQ(intake.scan()->submitted.size(), 1u);
  auto again = intake.scan();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->submitted.empty());
  EXPECT_TRUE(again->skipped.empty());  // already handled by this object: not even looked up
  const auto restarted = scan();        // a new Intake: looks it up, finds it there
  EXPECT_TRUE(restarted.submitted.empty());
  EXPECT_EQ(restarted.skipped, std::vector<std::string>{"jobs/a/run.sh"});
  EXPECT_EQ(queued(), 1);
  put("jobs/b/run.sh");
  EXPECT_EQ(intake.scan()->submitted, std::vector<std::string>{"jobs/b/run.sh"});
  EXPECT_EQ(queued(), 2);
}

TEST_F(IntakeTest, OnlyKeysUnderThePrefixAndWithTheSuffixCount) {
  options_.prefix = "jobs/";
  options_.suffix = ".bat";
  put("jobs/a/run.sh");
  put("other/b/run.bat");
  put("jobs/c/run.bat");
  const auto r = scan();
  EXPECT_EQ(r.submitted, std::vector<std::string>{"jobs/c/run.bat"});
  EXPECT_EQ(job("jobs/c/run.bat").spec.env.at(kEnvSuffix), ".bat");
}

TEST_F(IntakeTest, Ps1RunsWithPowerShell) {
  options_.suffix = ".ps1";
  put("win/job/run.ps1");
  put("win/job2/RUN.PS1");
  EXPECT_EQ(scan().submitted.size(), 1u);  // the suffix is matched exactly
  const auto spec = job("win/job/run.ps1").spec;
  EXPECT_EQ(spec.ssm_document, "AWS-RunPowerShellScript");
  EXPECT_EQ(spec.commands, std::vector<std::string>{std::string(kStageRunPowerShell)});
  EXPECT_TRUE(is_powershell_key("a/RUN.PS1"));
  EXPECT_FALSE(is_powershell_key("a/run.sh"));
  EXPECT_FALSE(is_powershell_key("ps1"));
}

TEST_F(IntakeTest, AnExecutableAtTheRootIsRefusedWithItsReason) {
  put("run.sh");
  const auto r = scan();
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].job_id, "run.sh");
  expect_refused("run.sh", "store's root");
  EXPECT_EQ(queued(), 0);
  const auto restarted = scan();  // still refused, recorded once
  EXPECT_EQ(restarted.refused.size(), 1u);
  EXPECT_EQ(backend_->table().counts()->total(), 1);
}

TEST_F(IntakeTest, AJobIdTakenByAnotherJobIsARefusalNotAnError) {
  JobSpec other;
  other.job_id = "jobs/a/run.sh";
  other.commands = {"echo submitted by hand"};
  ASSERT_TRUE(backend_->submit(std::span(&other, 1), options_.queue));
  put("jobs/a/run.sh");
  put("jobs/b/run.sh");
  const auto r = scan();
  EXPECT_EQ(r.submitted, std::vector<std::string>{"jobs/b/run.sh"});
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].key, "jobs/a/run.sh");
  EXPECT_NE(r.refused[0].reason.find("already exists"), std::string::npos);
  EXPECT_EQ(job("jobs/a/run.sh").spec.commands[0], "echo submitted by hand");
}

TEST_F(IntakeTest, AStoreThatCannotBeListedFailsTheScanAndTheNextScanRetries) {
  testing::ListingStore broken(*store_, {});
  broken.fail_list = true;
  put("jobs/a/run.sh");
  Intake intake(broken, *backend_, options_);
  EXPECT_FALSE(intake.scan());
  broken.fail_list = false;
  broken.keys = {"jobs/a/run.sh"};
  EXPECT_EQ(intake.scan()->submitted.size(), 1u);
}

TEST_F(IntakeTest, TheSpecIsAPureFunctionOfTheKeyAndTheOptions) {
  auto a = job_for_key("f/run.sh", options_);
  auto b = job_for_key("f/run.sh", options_);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

// Hostile keys: each becomes either a runnable job whose commands are the fixed string
// (the key only in env), or a FAILED job with a clear reason. Never a command with a key.
TEST_F(IntakeTest, HostileKeysAreDataNeverShell) {
  const std::vector<std::string> runnable = {"a b/run me.sh",
                                             "q'uote/x\"y.sh",
                                             "semi;colon/a;b.sh",
                                             "sub/$(touch x).sh",
                                             "tick/`touch x`.sh",
                                             "dollar/${HOME}.sh",
                                             "uni/\xC3\xA9t\xC3\xA9 \xE2\x9C\x93.sh",
                                             "-rf/--help.sh",
                                             "star/*.sh",
                                             "pipe/a|b&c>d.sh",
                                             "back\\slash/x.sh"};
  for (const auto& key : runnable) put(key);
  const auto r = scan();
  EXPECT_EQ(r.submitted.size(), runnable.size());
  EXPECT_TRUE(r.refused.empty());
  for (const auto& key : runnable) expect_runnable(key);
}

TEST_F(IntakeTest, KeysNoStoreShouldListAreRefusedAndRecorded) {
  // A store that lists anything (as a broken or foreign one could).
  testing::ListingStore lister(
      *store_, {"new\nline/run.sh", "a/../b/run.sh", "/abs/run.sh", "ctl/\x01.sh", "bad/\xFF.sh"});
  const auto r = scan(lister);
  ASSERT_EQ(r.refused.size(), 5u);
  EXPECT_TRUE(r.submitted.empty());
  for (const auto& x : r.refused) {
    ASSERT_FALSE(x.job_id.empty()) << x.reason;
    expect_refused(x.job_id, "invalid object key");
  }
  // Keys with control characters cannot be a job_id: recorded under their printable form.
  auto printable = std::find_if(r.refused.begin(), r.refused.end(),
                                [](const Refusal& x) { return x.key == "new\nline/run.sh"; });
  ASSERT_NE(printable, r.refused.end());
  EXPECT_EQ(printable->job_id, printable_key("new\nline/run.sh"));
  EXPECT_EQ(printable->job_id.find('\n'), std::string::npos);
  EXPECT_TRUE(job("a/../b/run.sh").spec.env.empty());
  // Nor can a key that is not UTF-8 (JSON cannot carry it).
  EXPECT_TRUE(job(printable_key("bad/\xFF.sh")).spec.env.empty());
  EXPECT_EQ(queued(), 0);
}

}  // namespace
}  // namespace tandem
