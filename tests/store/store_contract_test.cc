// The object store contract: every store answers these the same way.
#include "store_contract.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

namespace tandem::store_contract {

namespace {

using Keys = std::vector<std::string>;

class StoreContractTest : public StoreContract {
 protected:
  void put_all(const Keys& keys) {
    for (const auto& key : keys) ASSERT_TRUE(ok(store().put(key, "value of " + key))) << key;
  }

  Keys listed(std::string_view prefix) {
    auto infos = store().list(prefix);
    EXPECT_TRUE(ok(infos)) << prefix;
    return infos ? keys_of(*infos) : Keys{};
  }
};

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(random() & 0xFF);
  return out;
}

std::string every_byte() {
  std::string out;
  for (int i = 0; i < 256; ++i) out += static_cast<char>(i);
  return out + std::string(3, '\0');
}

TEST_P(StoreContractTest, PutThenGetReturnsTheSameBytes) {
  std::string data = every_byte();
  auto info = store().put("bin/all-bytes", data);
  ASSERT_TRUE(ok(info));
  EXPECT_EQ(info->key, "bin/all-bytes");
  EXPECT_EQ(info->size, data.size());
  EXPECT_FALSE(info->etag.empty());
  auto got = store().get("bin/all-bytes");
  ASSERT_TRUE(ok(got));
  EXPECT_EQ(*got, data);
}

TEST_P(StoreContractTest, EmptyObjectIsAnObject) {
  ASSERT_TRUE(ok(store().put("empty", "")));
  auto got = store().get("empty");
  ASSERT_TRUE(ok(got));
  EXPECT_EQ(*got, "");
  auto infos = store().list("");
  ASSERT_TRUE(ok(infos));
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].size, 0u);
}

TEST_P(StoreContractTest, FiveMegabyteObjectRoundTrips) {
  std::string data = random_bytes(5 << 20, 7);
  ASSERT_TRUE(ok(store().put("big", data)));
  auto got = store().get("big");
  ASSERT_TRUE(ok(got));
  EXPECT_TRUE(*got == data);
  auto infos = store().list("big");
  ASSERT_TRUE(ok(infos));
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].size, data.size());
}

TEST_P(StoreContractTest, PutReplacesTheObject) {
  auto first = store().put("k", "first, the longer value");
  ASSERT_TRUE(ok(first));
  auto second = store().put("k", "second");
  ASSERT_TRUE(ok(second));
  EXPECT_NE(first->etag, second->etag);
  auto got = store().get("k");
  ASSERT_TRUE(ok(got));
  EXPECT_EQ(*got, "second");
  auto infos = store().list("");
  ASSERT_TRUE(ok(infos));
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].size, 6u);
  EXPECT_EQ((*infos)[0].etag, second->etag);
}

TEST_P(StoreContractTest, ListGivesWhatPutReturned) {
  Millis before = now_millis();
  auto info = store().put("dir/obj", "content");
  Millis after = now_millis();
  ASSERT_TRUE(ok(info));
  auto infos = store().list("dir/");
  ASSERT_TRUE(ok(infos));
  ASSERT_EQ(infos->size(), 1u);
  const auto& listed = (*infos)[0];
  EXPECT_EQ(listed.key, "dir/obj");
  EXPECT_EQ(listed.size, 7u);
  EXPECT_EQ(listed.etag, info->etag);
  EXPECT_EQ(listed.modified, info->modified);
  EXPECT_GE(listed.modified, before - 2000);  // file systems keep coarse timestamps
  EXPECT_LE(listed.modified, after + 2000);
}

TEST_P(StoreContractTest, GetOfAMissingKeyIsNotFound) {
  EXPECT_TRUE(fails_with(store().get("missing"), ErrorCode::kNotFound));
  EXPECT_TRUE(fails_with(store().get("no/such/dir/key"), ErrorCode::kNotFound));
  ASSERT_TRUE(ok(store().put("a/b", "x")));
  EXPECT_TRUE(fails_with(store().get("a"), ErrorCode::kNotFound));  // a prefix, not a key
  auto path = local_dir() / "kept";
  write_local(path, "untouched");
  EXPECT_TRUE(fails_with(store().get_to_file("missing", path), ErrorCode::kNotFound));
  EXPECT_EQ(read_local(path), "untouched");
}

TEST_P(StoreContractTest, ListMatchesBytePrefixesInKeyOrder) {
  put_all({"b/z", "a/bd", "ab", "a/bc/x", "a/c", "a/b/y", "z", "\xc3\xa9"});
  EXPECT_EQ(listed("a/b"), (Keys{"a/b/y", "a/bc/x", "a/bd"}));
  EXPECT_EQ(listed("a/b/"), (Keys{"a/b/y"}));
  EXPECT_EQ(listed("a"), (Keys{"a/b/y", "a/bc/x", "a/bd", "a/c", "ab"}));
  EXPECT_EQ(listed(""), (Keys{"a/b/y", "a/bc/x", "a/bd", "a/c", "ab", "b/z", "z", "\xc3\xa9"}));
  EXPECT_EQ(listed("a/bc/x"), (Keys{"a/bc/x"}));
  EXPECT_EQ(listed("nothing"), Keys{});
  EXPECT_EQ(listed("a/b/y/"), Keys{});
  EXPECT_EQ(listed("../"), Keys{});
  EXPECT_EQ(listed("a/../"), Keys{});
  EXPECT_EQ(listed("/"), Keys{});
}

TEST_P(StoreContractTest, RemoveDeletesAndMissingIsFine) {
  put_all({"x/y/z", "x/y2", "keep"});
  ASSERT_TRUE(ok(store().remove("x/y/z")));
  EXPECT_TRUE(fails_with(store().get("x/y/z"), ErrorCode::kNotFound));
  EXPECT_EQ(listed(""), (Keys{"keep", "x/y2"}));
  EXPECT_TRUE(ok(store().remove("x/y/z")));
  EXPECT_TRUE(ok(store().remove("never/was")));
  EXPECT_TRUE(ok(store().remove("x")));  // only a prefix of "x/y2": removes nothing
  EXPECT_EQ(listed(""), (Keys{"keep", "x/y2"}));
}

TEST_P(StoreContractTest, RemovedKeyNoLongerBlocksItsPrefix) {
  put_all({"p/q/r"});
  ASSERT_TRUE(ok(store().remove("p/q/r")));
  EXPECT_TRUE(ok(store().put("p", "now a plain key")));
  EXPECT_EQ(listed(""), (Keys{"p"}));
}

TEST_P(StoreContractTest, PutFileAndGetToFileStreamWholeFiles) {
  std::string data = random_bytes(3 << 20, 11) + std::string(10, '\0');
  auto source = local_dir() / "source.bin";
  write_local(source, data);
  auto info = store().put_file("files/source.bin", source);
  ASSERT_TRUE(ok(info));
  EXPECT_EQ(info->size, data.size());
  auto got = store().get("files/source.bin");
  ASSERT_TRUE(ok(got));
  EXPECT_TRUE(*got == data);
  auto target = local_dir() / "target.bin";
  write_local(target, "an older, different file");
  ASSERT_TRUE(ok(store().get_to_file("files/source.bin", target)));
  EXPECT_TRUE(read_local(target) == data);
  auto entries = std::distance(std::filesystem::directory_iterator(local_dir()), {});
  EXPECT_EQ(entries, 2);  // no temporary file left beside the target
  EXPECT_TRUE(
      fails_with(store().put_file("files/x", local_dir() / "no-such-file"), ErrorCode::kNotFound));
  EXPECT_EQ(listed(""), (Keys{"files/source.bin"}));
}

TEST_P(StoreContractTest, KeysAreDataNotShellText) {
  Keys keys = {"dir with space/file name.txt",
               "quote'single/\"double\"",
               "semi;colon;rm -rf x",
               "$(touch pwned)",
               "`touch pwned`",
               "unicode/\xe6\x97\xa5\xe6\x9c\xac/\xc3\xbc.txt",
               "emoji \xf0\x9f\x98\x80",
               "-leading-dash",
               "a..b",
               "...",
               ".hidden",
               "back\\slash",
               "star*?[x]",
               "#hash%20&amp"};
  put_all(keys);
  for (const auto& key : keys) {
    auto got = store().get(key);
    ASSERT_TRUE(ok(got)) << key;
    EXPECT_EQ(*got, "value of " + key);
  }
  Keys sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(listed(""), sorted);
  for (const auto& key : keys) EXPECT_TRUE(ok(store().remove(key))) << key;
  EXPECT_EQ(listed(""), Keys{});
}

TEST_P(StoreContractTest, LongestKeyIsAllowed) {
  std::string key;
  while (key.size() + 101 <= kMaxKeyBytes) key += std::string(100, 'k') + "/";
  key += std::string(kMaxKeyBytes - key.size(), 'z');
  ASSERT_EQ(key.size(), kMaxKeyBytes);
  ASSERT_TRUE(ok(store().put(key, "long")));
  EXPECT_EQ(listed(""), Keys{key});
  EXPECT_TRUE(fails_with(store().put(key + "z", "x"), ErrorCode::kInvalid));
}

TEST_P(StoreContractTest, InvalidKeysAreRefusedByEveryMethod) {
  const Keys invalid = {"",
                        ".",
                        "..",
                        "../escape",
                        "a/../../b",
                        "a/./b",
                        "/leading",
                        "a//b",
                        "trailing/",
                        std::string("nul\0byte", 8),
                        "new\nline",
                        "tab\there",
                        "del\x7f",
                        "c1\xc2\x85",
                        "bad\xff",
                        "overlong\xc0\xaf",
                        "surrogate\xed\xa0\x80",
                        std::string(kMaxKeyBytes + 1, 'a'),
                        ".tandem-tmp-x",
                        "a/.tandem-tmp-1/b"};
  auto source = local_dir() / "source";
  write_local(source, "data");
  auto target = local_dir() / "target";
  for (const auto& key : invalid) {
    SCOPED_TRACE(printable_key(key));
    auto put = store().put(key, "data");
    ASSERT_TRUE(fails_with(put, ErrorCode::kInvalid));
    EXPECT_NE(put.error().message.find("invalid object key"), std::string::npos);
    EXPECT_TRUE(fails_with(store().put_file(key, source), ErrorCode::kInvalid));
    EXPECT_TRUE(fails_with(store().get(key), ErrorCode::kInvalid));
    EXPECT_TRUE(fails_with(store().get_to_file(key, target), ErrorCode::kInvalid));
    EXPECT_TRUE(fails_with(store().remove(key), ErrorCode::kInvalid));
  }
  EXPECT_EQ(listed(""), Keys{});
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_P(StoreContractTest, StoresOfOneUrlShareObjects) {
  ASSERT_TRUE(ok(store().put("shared", "seen by all")));
  auto other = open_again();
  ASSERT_NE(other, nullptr);
  auto got = other->get("shared");
  ASSERT_TRUE(ok(got));
  EXPECT_EQ(*got, "seen by all");
  ASSERT_TRUE(ok(other->remove("shared")));
  EXPECT_TRUE(fails_with(store().get("shared"), ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, RedactedUrlNamesTheScheme) {
  auto scheme = url().substr(0, url().find("://") + 3);
  EXPECT_TRUE(store().redacted_url().starts_with(scheme)) << store().redacted_url();
}

// 4 writers put values of one letter each over one key; readers must only ever see one
// whole value.
void race_puts(const std::vector<Store*>& writers, Store& reader) {
  constexpr std::size_t kSize = 256 << 10;
  constexpr int kRounds = 10;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  auto whole = [&](const std::string& v) {
    return v.size() == kSize && std::all_of(v.begin(), v.end(), [&](char c) { return c == v[0]; });
  };
  std::thread watcher([&] {
    while (!done) {
      auto got = reader.get("race");
      if (got && !whole(*got)) ++torn;
    }
  });
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < writers.size(); ++t)
    threads.emplace_back([&, t] {
      std::string value(kSize, static_cast<char>('A' + t));
      for (int i = 0; i < kRounds; ++i) EXPECT_TRUE(ok(writers[t]->put("race", value)));
    });
  for (auto& thread : threads) thread.join();
  done = true;
  watcher.join();
  EXPECT_EQ(torn, 0);
  auto final_value = reader.get("race");
  ASSERT_TRUE(ok(final_value));
  EXPECT_TRUE(whole(*final_value));
  auto infos = reader.list("");
  ASSERT_TRUE(ok(infos));
  EXPECT_EQ(keys_of(*infos), Keys{"race"});
}

TEST_P(StoreContractTest, ConcurrentPutsOnOneStoreLeaveOneWholeValue) {
  race_puts({&store(), &store(), &store(), &store()}, store());
}

TEST_P(StoreContractTest, ConcurrentPutsFromManyStoresLeaveOneWholeValue) {
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<Store*> writers;
  for (int i = 0; i < 4; ++i) {
    stores.push_back(open_again());
    ASSERT_NE(stores.back(), nullptr);
    writers.push_back(stores.back().get());
  }
  race_puts(writers, store());
}

TEST_P(StoreContractTest, ConcurrentListsSeeEveryObject) {
  Keys keys;
  for (int i = 0; i < 40; ++i)
    keys.push_back("d" + std::to_string(i % 4) + "/k" + std::to_string(i));
  put_all(keys);
  std::sort(keys.begin(), keys.end());
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto infos = store().list("");
        if (!infos || keys_of(*infos) != keys) ++wrong;
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong, 0);
}

TANDEM_STORE_CONTRACT_SUITE(StoreContractTest);

}  // namespace

}  // namespace tandem::store_contract
