#include "util/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace feedd::util {
namespace {

TEST(Utf8Prefix, Table) {
  struct Case {
    std::string_view in;
    std::size_t max;
    std::string_view want;
  };
  // One case per line: clang-format 14's column layout of this table is not stable with CJK.
  // clang-format off
  const std::vector<Case> cases = {
      {"", 0, ""},
      {"abc", 5, "abc"},
      {"abc", 3, "abc"},
      {"abc", 2, "ab"},
      {"abc", 0, ""},
      {"新媒体", 9, "新媒体"},
      {"新媒体", 8, "新媒"},  // cut inside 体: backs over its continuation bytes
      {"新媒体", 7, "新媒"},
      {"新媒体", 6, "新媒"},
      {"新媒体", 2, ""},
      {"a新", 2, "a"},
      {"\x80\x80\x80", 2, ""},  // stray continuation bytes: cut to nothing, never past the start
      {"é!", 1, ""},
  };
  // clang-format on
  for (const auto& c : cases)
    EXPECT_EQ(utf8_prefix(c.in, c.max), c.want) << c.in << " max " << c.max;
}

}  // namespace
}  // namespace feedd::util
