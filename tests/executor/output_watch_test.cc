#include "executor/output_watch.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::local_exec {
namespace {

// Feeds `text` in pieces of at most `piece` bytes.
OutputWatch fed_in_pieces(const std::string& needle, const std::string& text, std::size_t piece,
                          std::size_t capacity = OutputWatch::kDefaultTailBytes) {
  OutputWatch watch(needle, capacity);
  for (std::size_t i = 0; i < text.size(); i += piece)
    watch.feed(std::string_view(text).substr(i, piece));
  return watch;
}

TEST(OutputWatch, FindsNeedleAtEverySplitPoint) {
  const std::string needle = "Hello";
  const std::string text = "xxHelloyy";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    OutputWatch watch(needle);
    watch.feed(std::string_view(text).substr(0, split));
    watch.feed(std::string_view(text).substr(split));
    EXPECT_TRUE(watch.seen()) << "split at " << split;
  }
}

TEST(OutputWatch, FindsNeedleAtEveryPairOfSplitPoints) {
  const std::string needle = "Hello";
  const std::string text = "aHellob";
  for (std::size_t a = 0; a <= text.size(); ++a) {
    for (std::size_t b = a; b <= text.size(); ++b) {
      OutputWatch watch(needle);
      watch.feed(std::string_view(text).substr(0, a));
      watch.feed(std::string_view(text).substr(a, b - a));
      watch.feed(std::string_view(text).substr(b));
      EXPECT_TRUE(watch.seen()) << "splits at " << a << ", " << b;
    }
  }
}

TEST(OutputWatch, FindsNeedleLongerThanEveryChunk) {
  const std::string needle = "the quick brown fox";
  for (std::size_t piece = 1; piece < needle.size(); ++piece) {
    EXPECT_TRUE(fed_in_pieces(needle, "zz " + needle + " zz", piece).seen()) << piece;
  }
}

TEST(OutputWatch, DoesNotMatchWhatIsNotThere) {
  for (std::size_t piece = 1; piece <= 8; ++piece) {
    EXPECT_FALSE(fed_in_pieces("Hello", "Hell Hel lo Hell0 ello", piece).seen()) << piece;
  }
}

TEST(OutputWatch, DoesNotMatchAcrossBytesThatWereNotAdjacent) {
  OutputWatch watch("abc");
  watch.feed("ab");
  watch.feed("x");
  watch.feed("c");
  EXPECT_FALSE(watch.seen());
}

TEST(OutputWatch, MatchAfterManyChunksWithPartialPrefixes) {
  OutputWatch watch("aab");
  for (int i = 0; i < 100; ++i) watch.feed("a");
  EXPECT_FALSE(watch.seen());
  watch.feed("b");
  EXPECT_TRUE(watch.seen());
}

TEST(OutputWatch, EmptyNeedleIsNeverSeen) {
  OutputWatch watch("");
  watch.feed("");
  watch.feed("anything at all");
  EXPECT_FALSE(watch.seen());
}

TEST(OutputWatch, StaysSeenAfterLaterOutput) {
  OutputWatch watch("ok");
  watch.feed("ok");
  watch.feed(std::string(200000, 'x'));
  EXPECT_TRUE(watch.seen());
}

TEST(OutputWatch, CountsBytes) {
  OutputWatch watch("x");
  watch.feed("");
  watch.feed("abc");
  watch.feed(std::string(100000, 'z'));
  EXPECT_EQ(watch.bytes(), 100003);
}

TEST(OutputWatch, TailIsEverythingWhileShort) {
  OutputWatch watch("");
  EXPECT_EQ(watch.tail(), "");
  watch.feed("hello ");
  watch.feed("world");
  EXPECT_EQ(watch.tail(), "hello world");
}

std::string numbered(std::size_t size) {
  std::string text;
  text.reserve(size);
  for (std::size_t i = 0; i < size; ++i)
    text.push_back(static_cast<char>('a' + (i * 7 + i / 26) % 26));
  return text;
}

TEST(OutputWatch, TailIsExactlyTheLatest64KiB) {
  const std::size_t cap = OutputWatch::kDefaultTailBytes;
  const std::string text = numbered(3 * cap + 12345);
  for (std::size_t piece :
       {std::size_t{1000}, std::size_t{4096}, cap - 1, cap, cap + 1, 3 * cap + 12345}) {
    OutputWatch watch = fed_in_pieces("", text, piece);
    EXPECT_EQ(watch.tail().size(), cap) << piece;
    EXPECT_EQ(watch.tail(), text.substr(text.size() - cap)) << piece;
  }
}

TEST(OutputWatch, TailWrapsAtEveryOffsetOfASmallRing) {
  const std::string text = numbered(40);
  for (std::size_t piece = 1; piece <= 12; ++piece) {
    for (std::size_t len = 0; len <= text.size(); ++len) {
      OutputWatch watch = fed_in_pieces("", text.substr(0, len), piece, 7);
      const std::size_t keep = std::min<std::size_t>(len, 7);
      EXPECT_EQ(watch.tail(), text.substr(len - keep, keep)) << piece << " " << len;
    }
  }
}

}  // namespace
}  // namespace tandem::local_exec
