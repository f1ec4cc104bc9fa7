// A job_id never decides where a file is written.
#include <gtest/gtest.h>

#include <filesystem>

#include "agent/paths.h"

namespace tandem::agent {
namespace {

TEST(Paths, HostileIdsStayOnePlainSegment) {
  for (const std::string& id : std::vector<std::string>{"../../etc/passwd", "/abs/path", "..", ".", ".hidden", "a/b/c",
                         "$(rm -rf ~)", "`id`", "a b;c", std::string("\x01\x02", 2), "é∂",
                         std::string(500, 'x')}) {
    std::string name = safe_name(id);
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find('/'), std::string::npos) << id;
    EXPECT_NE(name[0], '.') << id;
    EXPECT_LT(name.size(), 120u);
    for (unsigned char c : name) EXPECT_TRUE(std::isalnum(c) || c == '_' || c == '-' || c == '.');
    auto log = std::filesystem::path(log_path("state", id, 1));
    EXPECT_EQ(log.parent_path().filename(), "logs") << id;
  }
}

TEST(Paths, DistinctIdsGetDistinctNames) {
  EXPECT_NE(safe_name("a/b"), safe_name("a_b"));
  EXPECT_NE(safe_name("a b"), safe_name("a_b"));
  EXPECT_EQ(safe_name("same"), safe_name("same"));
}

}  // namespace
}  // namespace tandem::agent
