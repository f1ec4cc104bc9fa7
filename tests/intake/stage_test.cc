// stage-run's file handling on a memory:// store and a real directory: the download, its
// refusals (.., symlinks), and which files go back up.
#include "intake/stage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../support/temp_dir.h"
#include "common/unique_fd.h"
#include "fakes.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}

class StageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_store("memory://" + testing::unique_name("stage"));
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    fd_.reset(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
    auto job = staged_job("jobs/j1/run.sh", ".sh");
    ASSERT_TRUE(job);
    job_ = *job;
  }

  void put(const std::string& key, const std::string& data) { ASSERT_TRUE(store_->put(key, data)); }

  Result<UploadReport> upload(const Manifest& m) {
    return upload_changes(*store_, job_, fd_.get(), m,
                          [this](const std::string& key) { announced_.push_back(key); });
  }

  std::unique_ptr<Store> store_;
  tandem::testing::TempDir tmp_;
  const fs::path dir_ = tmp_.path();
  UniqueFd fd_;
  StagedJob job_;
  std::vector<std::string> announced_;
};

TEST_F(StageTest, TheKeySaysFolderAndName) {
  EXPECT_EQ(job_.folder, "jobs/j1");
  EXPECT_EQ(job_.name, "run.sh");
  EXPECT_FALSE(staged_job("run.sh", ".sh"));
  EXPECT_FALSE(staged_job("a/../run.sh", ".sh"));
  EXPECT_FALSE(staged_job("a/run.sh", ""));
}

TEST_F(StageTest, DownloadsTheWholeFolderWithSubfoldersAndNothingElse) {
  put("jobs/j1/input.dat", "in");
  put("jobs/j1/sub/deep/more.dat", "more");
  put("jobs/j1/run.sh", "#!/bin/sh\n");
  put("jobs/j10/other.dat", "not mine");
  put("jobs/other.dat", "not mine");
  auto m = download_folder(*store_, job_, fd_.get());
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->size(), 3u);
  EXPECT_EQ(read(dir_ / "input.dat"), "in");
  EXPECT_EQ(read(dir_ / "sub/deep/more.dat"), "more");
  EXPECT_EQ(m->at("sub/deep/more.dat").size, 4u);
  EXPECT_FALSE(fs::exists(dir_ / "other.dat"));
  ASSERT_TRUE(make_executable(job_, fd_.get()));
  EXPECT_EQ(access((dir_ / "run.sh").c_str(), X_OK), 0);
}

TEST_F(StageTest, AMissingExecutableIsNotFound) {
  put("jobs/j1/input.dat", "in");
  auto m = download_folder(*store_, job_, fd_.get());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kNotFound);
}

TEST_F(StageTest, NeverWritesThroughASymlink) {
  put("jobs/j1/run.sh", "x");
  put("jobs/j1/sub/a.dat", "a");
  const fs::path outside = dir_.string() + "-outside";
  fs::create_directory(outside);
  fs::create_directory_symlink(outside, dir_ / "sub");
  auto m = download_folder(*store_, job_, fd_.get());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kInvalid);
  EXPECT_NE(m.error().message.find("jobs/j1/sub/a.dat"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("symbolic link"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(outside));
  fs::remove_all(outside);
}

TEST_F(StageTest, NeverReplacesASymlinkLeaf) {
  put("jobs/j1/run.sh", "x");
  fs::create_symlink("/etc/passwd", dir_ / "run.sh");
  auto m = download_folder(*store_, job_, fd_.get());
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("symbolic link"), std::string::npos);
}

TEST_F(StageTest, RefusesDotDotAndAbsolutePathsFromAStore) {
  put("jobs/j1/run.sh", "x");
  for (const std::string bad : {"jobs/j1/../../escape", "jobs/j1//abs", "jobs/j1/a/./b"}) {
    testing::ListingStore lister(*store_, {"jobs/j1/run.sh", bad});
    auto m = download_folder(lister, job_, fd_.get());
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().code, ErrorCode::kInvalid);
    EXPECT_NE(m.error().message.find(printable_key(bad)), std::string::npos) << m.error().message;
  }
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escape"));
}

TEST_F(StageTest, UploadsNewAndChangedFilesOnly) {
  put("jobs/j1/same.dat", "same");
  put("jobs/j1/changed.dat", "before");
  put("jobs/j1/sub/same2.dat", "same2");
  put("jobs/j1/run.sh", "#!/bin/sh\n");
  auto m = download_folder(*store_, job_, fd_.get());
  ASSERT_TRUE(m);
  write(dir_ / "changed.dat", "after!");
  write(dir_ / "result.txt", "result");
  fs::create_directories(dir_ / "out/deep");
  write(dir_ / "out/deep/r.bin", "deep");
  write(dir_ / "run.sh", "#!/bin/sh\n# changed by the run\n");
  write(dir_ / "next.sh", "would trigger a job");
  write(dir_ / "out/next2.sh", "would trigger a job");
  fs::create_symlink("/etc/passwd", dir_ / "link.txt");
  fs::create_directory_symlink("/etc", dir_ / "linkdir");
  ASSERT_EQ(mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  write(dir_ / "bad\nname.txt", "no valid key");

  auto r = upload(*m);
  ASSERT_TRUE(r) << r.error().to_string();
  const std::vector<std::string> expected = {"jobs/j1/changed.dat", "jobs/j1/out/deep/r.bin",
                                             "jobs/j1/result.txt"};
  EXPECT_EQ(r->uploaded, expected);
  EXPECT_EQ(announced_, expected);
  EXPECT_TRUE(r->failed.empty());
  EXPECT_EQ(r->skipped.size(), 7u);
  EXPECT_EQ(store_->get("jobs/j1/changed.dat").value(), "after!");
  EXPECT_EQ(store_->get("jobs/j1/out/deep/r.bin").value(), "deep");
  EXPECT_EQ(store_->get("jobs/j1/run.sh").value(), "#!/bin/sh\n");
  EXPECT_FALSE(store_->get("jobs/j1/next.sh"));
  EXPECT_FALSE(store_->get("jobs/j1/out/next2.sh"));
  EXPECT_FALSE(store_->get("jobs/j1/link.txt"));
  EXPECT_FALSE(store_->get("jobs/j1/linkdir/passwd"));
  auto listed = store_->list("jobs/j1/");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 6u);  // 4 inputs (one changed) + 2 new results
}

TEST_F(StageTest, AChangeOfContentAtTheSameSizeIsUploaded) {
  put("jobs/j1/data.dat", "aaaa");
  put("jobs/j1/run.sh", "x");
  auto m = download_folder(*store_, job_, fd_.get());
  ASSERT_TRUE(m);
  write(dir_ / "data.dat", "bbbb");
  auto r = upload(*m);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uploaded, std::vector<std::string>{"jobs/j1/data.dat"});
  EXPECT_EQ(store_->get("jobs/j1/data.dat").value(), "bbbb");
}

}  // namespace
}  // namespace tandem
