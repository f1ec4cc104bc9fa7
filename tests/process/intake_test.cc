// Intake end to end, as in the post's Part 2: files dropped into a file:// store folder,
// the executable last; `tandem intake` makes the job, `tandem up` runs it, and the
// results come back beside the inputs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness.h"

namespace tandem::testing {
namespace {

namespace fs = std::filesystem;

// Reads input.txt (a number) and writes its double to result.txt.
const char* kDouble =
    "#!/bin/sh\n"
    "read n < input.txt\n"
    "echo $((n * 2)) > result.txt\n"
    "echo doubled\n";

void write(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

ino_t inode(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Every path below `dir` whose file name starts with `start`.
std::vector<std::string> find_named(const fs::path& dir, const std::string& start) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().starts_with(start)) found.push_back(e.path().string());
  return found;
}

class IntakeProcess : public ::testing::Test {
 protected:
  fs::path store() const { return box_.dir() / "store"; }

  Output intake_once(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"intake", "--store", "file://store", "--once"};
    args.insert(args.end(), extra.begin(), extra.end());
    return box_.run(args);
  }

  void run_up() const {
    auto up = box_.run({"up", "--workers", "1", "--keep-workdirs"});
    ASSERT_EQ(up.code, 0) << up.err;
  }

  Sandbox box_;
};

TEST_F(IntakeProcess, ResultsComeBackBesideTheInputs) {
  write(store() / "case1/input.txt", "21\n");
  write(store() / "case1/run.sh", kDouble);
  const ino_t input_before = inode(store() / "case1/input.txt");
  const ino_t exe_before = inode(store() / "case1/run.sh");

  auto in = intake_once({"--success", "upload:"});
  ASSERT_EQ(in.code, 0) << in.err;
  EXPECT_NE(in.out.find("submitted case1/run.sh"), std::string::npos) << in.out;
  run_up();

  auto job = box_.status("case1/run.sh");
  EXPECT_EQ(job["status"], "SUCCEEDED") << job.dump(2);
  EXPECT_EQ(job["env"]["TANDEM_KEY"], "case1/run.sh");
  ASSERT_EQ(job["attempts"].size(), 1u);
  const std::string tail = job["attempts"][0]["output_tail"];
  EXPECT_NE(tail.find("doubled"), std::string::npos) << tail;
  EXPECT_NE(tail.find("upload: case1/result.txt"), std::string::npos) << tail;
  EXPECT_EQ(read_file((store() / "case1/result.txt").string()), "42\n");
  // Neither the executable nor the unchanged input went back up.
  EXPECT_EQ(inode(store() / "case1/input.txt"), input_before);
  EXPECT_EQ(inode(store() / "case1/run.sh"), exe_before);
  EXPECT_EQ(tail.find("upload: case1/input.txt"), std::string::npos);
  EXPECT_EQ(tail.find("upload: case1/run.sh"), std::string::npos);
}

TEST_F(IntakeProcess, HostileFolderAndFileNamesRunAsData) {
  const std::string folder = "a b $(touch pwned) `touch pwned2`; x'\"";
  write(store() / folder / "input.txt", "5\n");
  write(store() / folder / "run.sh", kDouble);
  write(store() / "plain" / "input.txt", "7\n");
  write(store() / "plain" / "$(touch pwned3);.sh", kDouble);

  auto in = intake_once();
  ASSERT_EQ(in.code, 0) << in.err;
  run_up();

  for (const std::string& id : {folder + "/run.sh", std::string("plain/$(touch pwned3);.sh")}) {
    auto job = box_.status(id);
    EXPECT_EQ(job["status"], "SUCCEEDED") << job.dump(2);
    for (const auto& command : job["commands"])
      EXPECT_EQ(command.get<std::string>().find("touch"), std::string::npos);
  }
  EXPECT_EQ(read_file((store() / folder / "result.txt").string()), "10\n");
  EXPECT_EQ(read_file((store() / "plain" / "result.txt").string()), "14\n");
  // No shell ever ran a name: no file "pwned..." anywhere (working directories kept).
  EXPECT_EQ(find_named(box_.dir(), "pwned"), std::vector<std::string>{});
}

TEST_F(IntakeProcess, AnIntakeRestartedMidUploadSubmitsExactlyOneJob) {
  write(store() / "case1/input.txt", "1\n");
  auto first = intake_once();
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_TRUE(box_.jobs().empty());

  write(store() / "case1/run.sh", kDouble);
  auto second = intake_once();
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("submitted case1/run.sh"), std::string::npos);
  auto third = intake_once();
  ASSERT_EQ(third.code, 0) << third.err;
  EXPECT_EQ(third.out.find("submitted"), std::string::npos) << third.out;
  EXPECT_EQ(box_.jobs().size(), 1u);
  EXPECT_EQ(box_.queue()["depth"], 1);
}

TEST_F(IntakeProcess, AResultWithTheTriggerSuffixStartsNoNewJob) {
  write(store() / "case1/run.sh", "#!/bin/sh\necho 'echo again' > next.sh\necho made > made.txt\n");
  ASSERT_EQ(intake_once().code, 0);
  run_up();
  auto job = box_.status("case1/run.sh");
  EXPECT_EQ(job["status"], "SUCCEEDED");
  const std::string tail = job["attempts"][0]["output_tail"];
  EXPECT_NE(tail.find("not uploaded: 'next.sh'"), std::string::npos) << tail;
  EXPECT_TRUE(fs::exists(store() / "case1/made.txt"));
  EXPECT_FALSE(fs::exists(store() / "case1/next.sh"));

  auto again = intake_once();
  EXPECT_EQ(again.code, 0);
  EXPECT_EQ(again.out.find("submitted"), std::string::npos) << again.out;
  EXPECT_EQ(box_.jobs().size(), 1u);
}

TEST_F(IntakeProcess, TheExecutablesExitCodeDecidesAndPartialResultsComeBack) {
  write(store() / "bad/run.sh", "#!/bin/sh\necho partial > partial.txt\nexit 3\n");
  ASSERT_EQ(intake_once().code, 0);
  run_up();
  auto job = box_.status("bad/run.sh");
  EXPECT_EQ(job["status"], "FAILED");
  EXPECT_EQ(job["attempts"][0]["exit_code"], 3);
  EXPECT_TRUE(fs::exists(store() / "bad/partial.txt"));
}

TEST_F(IntakeProcess, AnExecutableAtTheRootIsRefusedAndShowsWhy) {
  write(store() / "run.sh", kDouble);
  auto in = intake_once();
  EXPECT_EQ(in.code, 1);
  EXPECT_NE(in.out.find("refused"), std::string::npos) << in.out;
  auto job = box_.status("run.sh");
  EXPECT_EQ(job["status"], "FAILED");
  EXPECT_NE(job["reason"].get<std::string>().find("root"), std::string::npos);
  EXPECT_EQ(box_.queue()["depth"], 0);
}

// Sets the variables of a staged job in this test process (inherited by `tandem`).
class StagedEnv {
 public:
  StagedEnv(const std::string& store, const std::string& key) {
    setenv("TANDEM_STORE", store.c_str(), 1);
    setenv("TANDEM_KEY", key.c_str(), 1);
    setenv("TANDEM_SUFFIX", ".sh", 1);
  }
  StagedEnv(const StagedEnv&) = delete;
  StagedEnv& operator=(const StagedEnv&) = delete;
  ~StagedEnv() {
    for (const char* name : {"TANDEM_STORE", "TANDEM_KEY", "TANDEM_SUFFIX"}) unsetenv(name);
  }
};

TEST_F(IntakeProcess, StageRunPassesSigtermOnAndUploadsNothingThen) {
  write(store() / "s/run.sh",
        "#!/bin/sh\n"
        "trap 'echo term > got.txt; exit 7' TERM\n"
        "echo ready > ready.txt\n"
        "while true; do sleep 0.05; done\n");
  StagedEnv env("file://" + store().string(), "s/run.sh");
  auto stage = box_.spawn({"stage-run"});
  ASSERT_TRUE(eventually([&] { return fs::exists(box_.dir() / "ready.txt"); }));
  stage.signal(SIGTERM);
  auto r = stage.wait();
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_EQ(read_file((box_.dir() / "got.txt").string()), "term\n");
  EXPECT_NE(r.err.find("nothing uploaded"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(store() / "s/ready.txt"));
}

TEST_F(IntakeProcess, IntakeScansUntilSigterm) {
  fs::create_directories(store());
  auto intake = box_.spawn({"intake", "--store", "file://store", "--interval", "0.1"});
  write(store() / "late/input.txt", "3\n");
  write(store() / "late/run.sh", kDouble);
  EXPECT_TRUE(eventually([&] { return box_.jobs().size() == 1; }));
  intake.signal(SIGTERM);
  auto r = intake.wait();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("submitted late/run.sh"), std::string::npos) << r.out;
}

TEST_F(IntakeProcess, StageRunOutsideAJobSaysWhatItNeeds) {
  auto r = box_.run({"stage-run"});
  EXPECT_EQ(r.code, 125);
  EXPECT_NE(r.err.find("TANDEM_KEY"), std::string::npos) << r.err;
  EXPECT_EQ(box_.run({"intake", "--store", "file://store", "--once", "--suffix", ""}).code, 2);
}

}  // namespace
}  // namespace tandem::testing
