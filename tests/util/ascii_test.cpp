#include "util/ascii.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace feedd {
namespace {

TEST(AsciiLower, FoldsOnlyAsciiLetters) {
  struct Case {
    std::string_view in;
    std::string_view want;
  };
  const Case cases[] = {
      {"", ""},
      {"Content-Length", "content-length"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"},
      {"already lower 0123", "already lower 0123"},
      {"@[`{", "@[`{"},                  // the bytes either side of A-Z and a-z
      {"ÄÖÜ İ Straße", "ÄÖÜ İ straße"},  // UTF-8 bytes untouched
      {"\xC0\xDD\xFF", "\xC0\xDD\xFF"},  // Latin-1 capitals a locale might fold
      {std::string_view("A\0B", 3), std::string_view("a\0b", 3)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ascii_lower(c.in), c.want) << c.in;
    std::string in_place(c.in);
    ascii_lower_in_place(in_place);
    EXPECT_EQ(in_place, c.want) << c.in;
  }
}

TEST(AsciiLower, EveryByteMapsLikeTheAsciiTable) {
  for (int i = 0; i < 256; ++i) {
    const auto c = static_cast<char>(i);
    const char want = i >= 'A' && i <= 'Z' ? static_cast<char>(i + 32) : c;
    EXPECT_EQ(ascii_lower(c), want) << i;
  }
}

TEST(AsciiIequals, ComparesFoldedAndSameLength) {
  struct Case {
    std::string_view a;
    std::string_view b;
    bool want;
  };
  const Case cases[] = {
      {"", "", true},
      {"gzip", "GZIP", true},
      {"Max-Age", "max-age", true},
      {"GMT", "gmt", true},
      {"gzip", "x-gzip", false},
      {"gzip", "gzi", false},
      {"max-age", "max_age", false},
      {"@", "`", false},  // 0x40 and 0x60 differ by 32 but are not letters
      {"[", "{", false},
      {"\xC4", "\xE4", false},  // Latin-1 Ä and ä: not ASCII
      {"İ", "i", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ascii_iequals(c.a, c.b), c.want) << c.a << " / " << c.b;
    EXPECT_EQ(ascii_iequals(c.b, c.a), c.want) << c.b << " / " << c.a;
  }
}

static_assert(ascii_iequals("Retry-After", "retry-after"));
static_assert(ascii_lower('Q') == 'q' && ascii_lower('q') == 'q');

}  // namespace
}  // namespace feedd
