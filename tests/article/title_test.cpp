#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "article/article.hpp"
#include "article/html_text.hpp"

namespace feedd::article {
namespace {

struct TitleCase {
  std::string name;
  std::string title;
  std::string normalized;
  // printf %s "$normalized" | sha256sum | cut -c1-16, computed once by hand.
  std::string hash;
};

const std::vector<TitleCase> kCases = {
    {"plain", "Hello World", "Hello World", "a591a6d40bf42040"},
    {"named entity", "Tom &amp; Jerry", "Tom & Jerry", "24f8d5b84df107a6"},
    {"tags stripped", "<b>Bold</b> <i>move</i>", "Bold move", "94a219006361502a"},
    {"tag without space", "x<br>y", "xy", "769a4e6d0003189c"},
    {"nbsp entity run", "a&nbsp;&nbsp;b", "a b", "c8687a08aa5d6ed2"},
    {"raw nbsp", "a\u00a0b", "a b", "c8687a08aa5d6ed2"},
    {"ideographic space", "中文\u3000标题", "中文 标题", "8a76c8c459aa4c30"},
    {"mixed run", "  a \t\r\n\u00a0\u3000\u2003 b \u3000", "a b", "c8687a08aa5d6ed2"},
    {"other Zs spaces", "a\u2009\u202f\u205f\u1680b", "a b", "c8687a08aa5d6ed2"},
    {"curly quotes kept", "“引号”与‘单引号’", "“引号”与‘单引号’", "55eef6df56a9a724"},
    {"escaped tag is text", "&lt;script&gt;", "<script>", "5b63e5b2097fc690"},
    {"bare ampersand", "AT&T", "AT&T", "d1aff162effb746e"},
    {"numeric entities", "&#x4E2D;&#25991;", "中文", "72726d8818f69306"},
    {"quot entity", "&quot;quoted&quot;", "\"quoted\"", "272fca25899893ee"},
    {"lone less-than", "C++ < Java", "C++ < Java", "e2dc14ccbd93f773"},
    {"cjk with spaces", "ZAKER 早报：今天\u3000\u3000是 \u00a0晴天 ", "ZAKER 早报：今天 是 晴天",
     "d89533d20b6804db"},
    {"empty", "", "", "e3b0c44298fc1c14"},
    {"only spaces", " \u3000\u00a0 ", "", "e3b0c44298fc1c14"},
    {"comment dropped", "Hello<!-- x --> World", "Hello World", "a591a6d40bf42040"},
};

TEST(NormalizeTitle, Table) {
  for (const auto& c : kCases) {
    EXPECT_EQ(normalize_title(c.title), c.normalized) << c.name;
  }
}

TEST(TitleHash, MatchesSha256sumOfNormalizedTitle) {
  for (const auto& c : kCases) {
    EXPECT_EQ(title_hash(c.title), c.hash) << c.name;
  }
}

TEST(TitleHash, IsSixteenLowerHexDigits) {
  const std::string h = title_hash("任意标题");
  ASSERT_EQ(h.size(), 16u);
  for (char c : h)
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << h;
}

TEST(TitleHash, DiffersForDifferentTitles) {
  EXPECT_NE(title_hash("标题一"), title_hash("标题二"));
  // Zero-width space is not white space: a different title.
  EXPECT_NE(title_hash("a b"), title_hash("a\u200bb"));
}

TEST(NormalizeTitle, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(normalize_title("ab\xff"
                            "cd"),
            "ab\ufffd"
            "cd");
  EXPECT_EQ(title_hash("ab\xff"
                       "cd"),
            title_hash("ab\ufffd"
                       "cd"));
}

// normalize_title skips gumbo for plain text (detail::is_plain_text): the result must be what
// the parse gives, for what the check accepts and what it refuses.
TEST(NormalizeTitle, PlainTextFastPathMatchesGumbo) {
  // clang-format off
  const std::vector<std::pair<std::string, bool>> table = {
      {"Hello World", true},
      {"ZAKER 早报：今天\u3000是 \u00a0晴天 ", true},
      {"“引号”与‘单引号’ > x", true},
      {"\ufffd\u00a0\ufdcf\ufdf0", true},
      {"", true},
      {"AT&T", false},
      {"a<b", false},
      {"a\tb", false},
      {std::string("a\0b", 3), false},
      {"a\x7f", false},
      {"a\u0085b", false},          // C1 control
      {"a\ufdd0b", false},          // noncharacter
      {"a\uffffb", false},
      {"\ufeffa", false},           // BOM
      {"a\U0001F600", false},       // beyond the BMP
      {"a\xff" "b", false},            // invalid
      {"a\xc0\xaf" "b", false},       // overlong
      {"a\xe0\x80\xaf" "b", false},  // overlong
      {"a\xed\xa0\x80" "b", false},  // surrogate
      {"a\xe4\xb8", false},        // cut short
  };
  // clang-format on
  for (const auto& [title, plain] : table) {
    EXPECT_EQ(detail::is_plain_text(title), plain) << title;
    EXPECT_EQ(normalize_title(title), detail::fold_space(detail::fragment_text(title, false)))
        << title;
  }
  const std::vector<std::string> seeds = {
      "ZAKER 早报：今天是晴天，气温 25℃", "微信公众号文章标题 · 第 12 期（下）",
      "Breaking: Markets rally (again) — 3% up!", "「新媒体」频道 0001 的第 7 篇文章"};
  const std::vector<std::string> inserts = {"&",
                                            "&amp;",
                                            "&lt;",
                                            "&#x4E2D;",
                                            "&nbsp;",
                                            "<",
                                            "<b>",
                                            "</i>",
                                            "<!-- c -->",
                                            "<br>",
                                            ">",
                                            "\"",
                                            "'",
                                            " ",
                                            "\t",
                                            "\n",
                                            "\r",
                                            std::string(1, '\0'),
                                            "\x01",
                                            "\x7f",
                                            "\u0085",
                                            "\u00a0",
                                            "\u3000",
                                            "\u2028",
                                            "\ufdd0",
                                            "\ufffe",
                                            "\uffff",
                                            "\ufffd",
                                            "\ufeff",
                                            "\U0001F600",
                                            "\xff",
                                            "\xc0\xaf",
                                            "\xed\xa0\x80",
                                            "\xe4\xb8",
                                            "\xe0\x80\xaf",
                                            "\x80",
                                            "中",
                                            "a",
                                            "<script>x</script>",
                                            "<p>",
                                            "&#0;",
                                            "&#128;"};
  std::mt19937 rng(7);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  std::size_t plain = 0;
  constexpr std::size_t kCount = 20000;
  for (std::size_t n = 0; n < kCount; ++n) {
    std::string title = seeds[pick(seeds.size())];
    for (std::size_t m = pick(3); m-- > 0;)
      title.insert(pick(title.size() + 1), inserts[pick(inserts.size())]);
    if (detail::is_plain_text(title)) ++plain;
    ASSERT_EQ(normalize_title(title), detail::fold_space(detail::fragment_text(title, false)))
        << title;
  }
  EXPECT_GT(plain, kCount / 5);  // the unchanged seeds alone are a third
  std::printf("plain-text fast path: %zu of %zu titles\n", plain, kCount);
}

}  // namespace
}  // namespace feedd::article
