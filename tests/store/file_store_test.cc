// What only file:// does: objects are plain files, symlinks and special files are not
// objects, temporary files never show.
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "store_contract.h"

namespace tandem::store_contract {

namespace {

namespace fs = std::filesystem;
using Keys = std::vector<std::string>;

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directory(dir());
    fs::create_directory(outside());
    write_local(outside() / "secret", "outside the store");
    auto opened = open_store("file://" + dir().string());
    ASSERT_TRUE(ok(opened));
    store_ = std::move(*opened);
  }

  fs::path dir() const { return scratch_.path() / "store"; }
  fs::path outside() const { return scratch_.path() / "outside"; }
  Store& store() { return *store_; }

  Keys listed(std::string_view prefix = "") {
    auto infos = store().list(prefix);
    EXPECT_TRUE(ok(infos));
    return infos ? keys_of(*infos) : Keys{};
  }

 private:
  ScratchDir scratch_;
  std::unique_ptr<Store> store_;
};

TEST_F(FileStoreTest, AnObjectIsAPlainFileUnderDir) {
  ASSERT_TRUE(ok(store().put("a/b/c.txt", "hello")));
  EXPECT_EQ(read_local(dir() / "a/b/c.txt"), "hello");
  write_local(dir() / "a/dropped", "put there by hand");
  EXPECT_EQ(listed(), (Keys{"a/b/c.txt", "a/dropped"}));
  auto got = store().get("a/dropped");
  ASSERT_TRUE(ok(got));
  EXPECT_EQ(*got, "put there by hand");
}

TEST_F(FileStoreTest, SymlinksInsideDirAreNotObjects) {
  fs::create_symlink(outside() / "secret", dir() / "file-link");
  fs::create_symlink(outside(), dir() / "dir-link");
  fs::create_directory(dir() / "sub");
  fs::create_symlink("../file-link", dir() / "sub" / "relative-link");
  ASSERT_TRUE(ok(store().put("real", "real object")));

  EXPECT_EQ(listed(), Keys{"real"});
  EXPECT_EQ(listed("dir-link/"), Keys{});
  for (const char* key : {"file-link", "dir-link/secret", "sub/relative-link"}) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(fails_with(store().get(key), ErrorCode::kNotFound));
    EXPECT_TRUE(fails_with(store().get_to_file(key, outside() / "copy"), ErrorCode::kNotFound));
    EXPECT_TRUE(ok(store().remove(key)));
  }
  EXPECT_FALSE(fs::exists(outside() / "copy"));
  EXPECT_TRUE(fs::is_symlink(dir() / "file-link"));
  EXPECT_EQ(read_local(outside() / "secret"), "outside the store");
}

TEST_F(FileStoreTest, PutNeverWritesThroughASymlink) {
  fs::create_symlink(outside(), dir() / "dir-link");
  fs::create_symlink(outside() / "secret", dir() / "file-link");
  EXPECT_TRUE(fails_with(store().put("dir-link/new", "x"), ErrorCode::kConflict));
  EXPECT_FALSE(fs::exists(outside() / "new"));
  ASSERT_TRUE(ok(store().put("file-link", "replaces the link")));
  EXPECT_FALSE(fs::is_symlink(dir() / "file-link"));
  EXPECT_EQ(read_local(outside() / "secret"), "outside the store");
  EXPECT_EQ(listed(), Keys{"file-link"});
}

TEST_F(FileStoreTest, SpecialFilesAreNotObjects) {
  ASSERT_EQ(::mkfifo((dir() / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(listed(), Keys{});
  EXPECT_TRUE(fails_with(store().get("fifo"), ErrorCode::kNotFound));  // and does not block
  EXPECT_TRUE(ok(store().remove("fifo")));
  EXPECT_TRUE(fs::is_fifo(dir() / "fifo"));
}

TEST_F(FileStoreTest, FilesWithInvalidKeysAreNotListed) {
  write_local(dir() / "new\nline", "x");
  write_local(dir() / "fine", "x");
  EXPECT_EQ(listed(), Keys{"fine"});
}

TEST_F(FileStoreTest, TemporaryFilesAreNeverListed) {
  fs::create_directory(dir() / "a");
  write_local(dir() / ".tandem-tmp-leftover", "crashed put");
  write_local(dir() / "a/.tandem-tmp-0123", "crashed put");
  ASSERT_TRUE(ok(store().put("a/b", "x")));
  EXPECT_EQ(listed(), Keys{"a/b"});

  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::string value(64 << 10, 'v');
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(ok(store().put("a/busy", value)));
    done = true;
  });
  while (!done) {
    for (const auto& key : listed()) EXPECT_EQ(key.find(".tandem-tmp-"), std::string::npos);
  }
  writer.join();
}

TEST_F(FileStoreTest, AKeyCannotBeBothAFileAndADirectory) {
  ASSERT_TRUE(ok(store().put("a", "file")));
  EXPECT_TRUE(fails_with(store().put("a/b", "x"), ErrorCode::kConflict));
  ASSERT_TRUE(ok(store().put("c/d", "x")));
  EXPECT_TRUE(fails_with(store().put("c", "x"), ErrorCode::kConflict));
  EXPECT_EQ(listed(), (Keys{"a", "c/d"}));
}

TEST_F(FileStoreTest, RemoveDeletesDirectoriesLeftEmpty) {
  ASSERT_TRUE(ok(store().put("x/y/z", "1")));
  ASSERT_TRUE(ok(store().put("x/keep", "2")));
  ASSERT_TRUE(ok(store().remove("x/y/z")));
  EXPECT_FALSE(fs::exists(dir() / "x/y"));
  EXPECT_TRUE(fs::exists(dir() / "x/keep"));
  ASSERT_TRUE(ok(store().remove("x/keep")));
  EXPECT_FALSE(fs::exists(dir() / "x"));
  EXPECT_TRUE(fs::is_directory(dir()));
}

TEST_F(FileStoreTest, EtagIsTheContentHashAndFollowsChangesMadeByHand) {
  auto info = store().put("obj", "same size A");
  ASSERT_TRUE(ok(info));
  EXPECT_EQ(info->etag.size(), 16u);
  auto fresh = open_store("file://" + dir().string());  // no cache: reads the file
  ASSERT_TRUE(ok(fresh));
  auto infos = (*fresh)->list("");
  ASSERT_TRUE(ok(infos));
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].etag, info->etag);

  write_local(dir() / "obj", "same size B");  // in place: same inode, same size
  for (Store* s : {&store(), fresh->get()}) {
    auto after = s->list("");
    ASSERT_TRUE(ok(after));
    ASSERT_EQ(after->size(), 1u);
    EXPECT_NE((*after)[0].etag, info->etag);
  }
}

TEST_F(FileStoreTest, SegmentLongerThanTheFileSystemAllowsIsInvalid) {
  EXPECT_TRUE(fails_with(store().put(std::string(300, 'n'), "x"), ErrorCode::kInvalid));
}

TEST_F(FileStoreTest, OpeningAFileAsTheStoreIsInvalid) {
  write_local(outside() / "plain", "x");
  auto opened = open_store("file://" + (outside() / "plain").string());
  EXPECT_TRUE(fails_with(opened, ErrorCode::kInvalid));
}

TEST_F(FileStoreTest, MissingStoreDirectoryIsMade) {
  auto path = outside() / "new" / "store";
  auto opened = open_store("file://" + path.string());
  ASSERT_TRUE(ok(opened));
  EXPECT_TRUE(fs::is_directory(path));
}

}  // namespace

}  // namespace tandem::store_contract
