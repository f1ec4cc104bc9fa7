// What only the sqlite:// backend promises: its file, its folder, its schema version.
#include <gmock/gmock.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "backend_contract.h"

namespace tandem::contract {
namespace {

namespace fs = std::filesystem;

class SqliteBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tandem-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(SqliteBackend, CreatesTheParentFoldersAndNamesThemItsStateDir) {
  fs::path db = dir_ / "a" / "b" / "t.db";
  std::string url = "sqlite://" + db.string();
  auto b = open_backend(url);
  ASSERT_TRUE(ok(b));
  EXPECT_TRUE(fs::exists(db));
  EXPECT_EQ((*b)->state_dir(), (dir_ / "a" / "b").string());
  EXPECT_EQ((*b)->redacted_url(), url);
}

TEST_F(SqliteBackend, RefusesADatabaseOfANewerTandem) {
  fs::path db = dir_ / "t.db";
  ASSERT_TRUE(ok(open_backend("sqlite://" + db.string())));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  auto r = open_backend("sqlite://" + db.string());
  ASSERT_TRUE(fails_with(r, ErrorCode::kInvalid));
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("database was written by a newer tandem"));
}

TEST_F(SqliteBackend, RefusesAFileThatIsNotADatabase) {
  fs::path file = dir_ / "notes.txt";
  std::ofstream(file) << "these are not the tables you are looking for\n";
  EXPECT_TRUE(fails_with(open_backend("sqlite://" + file.string()), ErrorCode::kInvalid));
}

TEST_F(SqliteBackend, AnUnwritableFolderIsUnavailable) {
  fs::path blocker = dir_ / "file";
  std::ofstream(blocker) << "x";
  auto r = open_backend("sqlite://" + (blocker / "sub" / "t.db").string());
  EXPECT_TRUE(fails_with(r, ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace tandem::contract
