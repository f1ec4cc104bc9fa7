// check_key, printable_key and the scheme table.
#include "store_contract.h"

namespace tandem::store_contract {

namespace {

std::string message_for(std::string_view key) {
  auto r = check_key(key);
  EXPECT_TRUE(fails_with(r, ErrorCode::kInvalid)) << printable_key(key);
  return r ? "" : r.error().message;
}

TEST(CheckKey, AcceptsOrdinaryKeys) {
  for (const char* key : {"a", "a/b/c.txt", "job-1/input.dat", "..a", "a.", "a/...",
                          "\xe2\x82\xac/\xf0\x9f\x98\x80", "x y/'\"`$(;)"})
    EXPECT_TRUE(ok(check_key(key))) << key;
}

TEST(CheckKey, MessagesNameTheKeyAndTheRule) {
  EXPECT_EQ(message_for(""), "invalid object key '': must not be empty");
  EXPECT_NE(message_for("a/../b").find("'a/../b'"), std::string::npos);
  EXPECT_NE(message_for("a/../b").find("\"..\" segment"), std::string::npos);
  EXPECT_NE(message_for("a//b").find("empty segment"), std::string::npos);
  EXPECT_NE(message_for("/a").find("empty segment"), std::string::npos);
  EXPECT_NE(message_for("a\nb").find("'a\\x0ab'"), std::string::npos);
  EXPECT_NE(message_for("a\nb").find("control character at byte 1"), std::string::npos);
  EXPECT_NE(message_for("a\xff").find("not valid UTF-8 at byte 1"), std::string::npos);
  EXPECT_NE(message_for("x/.tandem-tmp-1").find("reserved"), std::string::npos);
  EXPECT_NE(message_for(std::string(2000, 'k')).find("2000 bytes, longer than the limit of 1024"),
            std::string::npos);
}

TEST(PrintableKey, EscapesAndShortens) {
  EXPECT_EQ(printable_key("plain/key"), "'plain/key'");
  EXPECT_EQ(printable_key(std::string("n\0l", 3)), "'n\\x00l'");
  EXPECT_EQ(printable_key("it's"), "'it\\'s'");
  EXPECT_EQ(printable_key("\xc3\xa9\xff"), "'\xc3\xa9\\xff'");
  std::string shown = printable_key(std::string(300, 'a'));
  EXPECT_TRUE(shown.ends_with("... (300 bytes)")) << shown;
  EXPECT_LT(shown.size(), 100u);
}

TEST(OpenStore, UnknownSchemeListsTheKnownOnesWithoutTheSecret) {
  auto opened = open_store("s3x://user:secret@host/bucket");
  ASSERT_TRUE(fails_with(opened, ErrorCode::kInvalid));
  const auto& message = opened.error().message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  EXPECT_NE(message.find("user:***@host"), std::string::npos) << message;
  EXPECT_NE(message.find("file://DIR"), std::string::npos) << message;
  EXPECT_NE(message.find("memory://NAME"), std::string::npos) << message;
}

TEST(OpenStore, UrlsWithoutSchemeOrNameAreInvalid) {
  EXPECT_TRUE(fails_with(open_store("just/a/path"), ErrorCode::kInvalid));
  EXPECT_TRUE(fails_with(open_store("memory://"), ErrorCode::kInvalid));
  EXPECT_TRUE(fails_with(open_store("file://"), ErrorCode::kInvalid));
}

TEST(OpenStore, MemoryStoresAreSharedByName) {
  auto a = open_store("memory://key-test-shared");
  auto b = open_store("memory://key-test-shared");
  auto other = open_store("memory://key-test-other");
  ASSERT_TRUE(ok(a) && ok(b) && ok(other));
  ASSERT_TRUE(ok((*a)->put("k", "v")));
  EXPECT_TRUE(ok((*b)->get("k")));
  EXPECT_TRUE(fails_with((*other)->get("k"), ErrorCode::kNotFound));
}

}  // namespace

}  // namespace tandem::store_contract
