// Stop strings split across pushes, overlapping prefixes, and text after a stop.
#include "runtime/stop_strings.h"

#include <gtest/gtest.h>

namespace dsi::runtime {
namespace {

std::string Feed(StopStringFilter& f, const std::vector<std::string>& pieces) {
  std::string out;
  for (const std::string& p : pieces) out += f.Push(p);
  return out + f.Flush();
}

TEST(StopStringFilterTest, StopsAcrossPieceBoundaries) {
  StopStringFilter f({"\n\nUser:"});
  EXPECT_EQ(Feed(f, {"Hello", " world\n", "\nUs", "er: more"}), "Hello world");
  EXPECT_TRUE(f.stopped());
}

TEST(StopStringFilterTest, HeldPrefixIsReleasedWhenItDoesNotComplete) {
  StopStringFilter f({"END"});
  EXPECT_EQ(f.Push("abcE"), "abc");  // "E" might start END
  EXPECT_EQ(f.Push("N"), "");
  EXPECT_EQ(f.Push("x"), "ENx");
  EXPECT_FALSE(f.stopped());
  EXPECT_EQ(f.Flush(), "");
}

TEST(StopStringFilterTest, EarliestOfSeveralStopsWins) {
  StopStringFilter f({"cd", "b"});
  EXPECT_EQ(Feed(f, {"abcd"}), "a");
  StopStringFilter none({});
  EXPECT_EQ(Feed(none, {"ab", "c"}), "abc");
}

TEST(StopStringFilterTest, NothingIsEmittedAfterAStop) {
  StopStringFilter f({"x"});
  EXPECT_EQ(f.Push("axb"), "a");
  EXPECT_EQ(f.Push("more"), "");
  EXPECT_EQ(f.Flush(), "");
}

}  // namespace
}  // namespace dsi::runtime
