#include "lib/iconv/iconv.hpp"

#include <gtest/gtest.h>

#include <boost/locale/utf.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace feedd::lib {
namespace {

TEST(Iconv, ToUtf8) {
  struct Case {
    std::string charset, in, want;
    std::size_t replaced;
  };
  const std::vector<Case> cases = {
      {"GB18030", "\xD6\xD0\xCE\xC4", "中文", 0},
      {"GB18030", "\xE9\x46", "镕", 0},                        // GBK, not GB2312
      {"GB18030", "\x95\x32\x82\x36", "\xF0\xA0\x80\x80", 0},  // four-byte U+20000
      {"BIG5", "\xA4\xA4\xA4\xE5", "中文", 0},
      {"WINDOWS-1252", "caf\xE9 \x93q\x94", "café “q”", 0},
      {"UTF-8", "ok \xE4\xB8\xAD", "ok 中", 0},
      // Undecodable bytes become U+FFFD one by one; a cut-off sequence at the end once.
      {"UTF-8",
       "a\xFF\xFE"
       "b",
       "a\xEF\xBF\xBD\xEF\xBF\xBD"
       "b",
       2},
      {"UTF-8", "a\xE4\xB8", "a\xEF\xBF\xBD", 1},
      {"UTF-8", "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD", 2},  // overlong '/'
      // Valid UTF-8 is not converted but checked: these must not pass as valid.
      {"UTF-8", "\xE0\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3},  // overlong
      {"UTF-8", "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3},  // surrogate
      {"UTF-8", "\xF0\x9F\x98", "\xEF\xBF\xBD", 1},                          // cut short
      {"UTF-8", "\x80", "\xEF\xBF\xBD", 1},                                  // lone trail
      {"GB18030", "x\xD6", "x\xEF\xBF\xBD", 1},
      {"GB18030", "", "", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.charset + " " + c.in);
    const auto out = to_utf8(c.in, c.charset);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->text, c.want);
    EXPECT_EQ(out->replaced, c.replaced);
  }
}

// is_valid_utf8 takes ASCII eight bytes at a time and the common two- and three-byte forms
// without decoding: on every sequence of up to three bytes (and four-byte leads with continuation
// bytes), at every alignment, it must agree with the strict decoder and with to_utf8.
TEST(Iconv, IsValidUtf8AgreesWithTheDecoder) {
  const auto strict = [](std::string_view s) {
    using Utf8 = boost::locale::utf::utf_traits<char>;
    for (auto p = s.begin(); p != s.end();) {
      const auto c = Utf8::decode(p, s.end());
      if (c == boost::locale::utf::illegal || c == boost::locale::utf::incomplete) return false;
    }
    return true;
  };
  std::size_t checked = 0;
  for (unsigned lead = 0x80; lead <= 0xFF; ++lead) {
    for (unsigned b1 = 0; b1 <= 0xFF; ++b1) {
      for (unsigned b2 = 0x00; b2 <= 0xFF; ++b2) {
        const std::string seq = {static_cast<char>(lead), static_cast<char>(b1),
                                 static_cast<char>(b2)};
        for (const std::string& s : {seq.substr(0, 1), seq.substr(0, 2), seq}) {
          if (strict(s) != is_valid_utf8(s)) FAIL() << "disagree on " << testing::PrintToString(s);
        }
        if (lead >= 0xF0) {
          const std::string four = seq + "\x80";
          if (strict(four) != is_valid_utf8(four)) {
            FAIL() << "disagree on " << testing::PrintToString(four);
          }
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 128u * 256 * 256);
  // The word-at-a-time ASCII skip: a bad byte at every offset, before and after whole words.
  for (std::size_t at = 0; at < 20; ++at) {
    for (const std::string bad : {"\xFF", "\xE4\xB8", "\xC3", "\xED\xA0\x80"}) {
      std::string s(20, 'a');
      s.insert(at, bad);
      SCOPED_TRACE(testing::PrintToString(s));
      EXPECT_FALSE(is_valid_utf8(s));
      EXPECT_GT(to_utf8(s, "UTF-8")->replaced, 0u);
      s = std::string(20, 'a');
      s.insert(at, "\xE4\xB8\xAD\xC3\xA9\xF0\x9F\x98\x80");
      EXPECT_TRUE(is_valid_utf8(s));
    }
  }
}

// Input goes to iconv in windows; sequences across a window's edge must survive.
TEST(Iconv, SequencesAcrossWindowEdges) {
  for (std::size_t pad = 4090; pad < 4100; ++pad) {
    SCOPED_TRACE(pad);
    const std::string ascii(pad, 'a');
    auto out = to_utf8(ascii + "\xD6\xD0\x95\x32\x82\x36", "GB18030");
    ASSERT_TRUE(out);
    EXPECT_EQ(out->text, ascii + "中\xF0\xA0\x80\x80");
    EXPECT_EQ(out->replaced, 0u);
    out = to_utf8(ascii + "中文\xE4\xB8", "UTF-8");
    ASSERT_TRUE(out);
    EXPECT_EQ(out->text, ascii + "中文\xEF\xBF\xBD");
    EXPECT_EQ(out->replaced, 1u);
  }
}

// Regression: glibc's UTF-8 decoder passed code points above U+10FFFF (pre-RFC 3629 four-, five-
// and six-byte forms) through unchanged, so invalid UTF-8 reached article files and the store.
TEST(Iconv, CodePointsAboveU10FFFFAreReplaced) {
  const std::string r = "\xEF\xBF\xBD";
  struct Case {
    std::string in, want;
    std::size_t replaced;
  };
  const std::vector<Case> cases = {
      {"a\xF8\x88\x80\x80\x80"
       "b",
       "a" + r + r + r + r + r + "b", 5},                      // five bytes, U+200000
      {"\xF4\x90\x80\x80", r + r + r + r, 4},                  // four bytes, U+110000
      {"\xFC\x84\x80\x80\x80\x80", r + r + r + r + r + r, 6},  // six bytes
      {"\xFF\xF8\x88\x80\x80\x80", r + r + r + r + r + r, 6},  // next to one glibc rejects
      {"\xF4\x8F\xBF\xBF \xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF \xF0\x9F\x98\x80", 0},  // U+10FFFF
      {"中" + r + "文", "中" + r + "文", 0},  // a U+FFFD already there is valid
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    for (const std::string charset : {"UTF-8", "utf8"}) {
      const auto out = to_utf8(c.in, charset);
      ASSERT_TRUE(out);
      EXPECT_EQ(out->text, c.want);
      EXPECT_EQ(out->replaced, c.replaced);
    }
  }
  // Windows of 4096 bytes do not matter to the check: a sequence across an edge is caught too.
  const std::string pad(4094, 'a');
  const auto out = to_utf8(pad + "\xF8\x88\x80\x80\x80", "UTF-8");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->text, pad + r + r + r + r + r);
}

TEST(Iconv, UnknownCharset) {
  EXPECT_FALSE(to_utf8("x", "NO-SUCH-CHARSET-42"));
  EXPECT_FALSE(Iconv::open("UTF-8", ""));
}

TEST(Iconv, MovedFromIsInert) {
  auto a = Iconv::open("UTF-8", "GB18030");
  ASSERT_TRUE(a);
  Iconv b = std::move(*a);
  EXPECT_EQ(b.convert("\xD6\xD0", "?").text, "中");
  EXPECT_EQ(a->convert("\xD6\xD0", "?").text, "");  // NOLINT(bugprone-use-after-move)
  auto c = Iconv::open("UTF-8", "BIG5");
  ASSERT_TRUE(c);
  b = std::move(*c);
  EXPECT_EQ(b.convert("\xA4\xA4", "?").text, "中");
}

// Every byte invalid: replacement must stay linear.
TEST(Iconv, ManyInvalidBytesIsLinear) {
  const std::string in(4'000'000, '\xFF');
  const auto start = std::chrono::steady_clock::now();
  const auto out = to_utf8(in, "UTF-8");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->replaced, in.size());
  EXPECT_EQ(out->text.size(), in.size() * 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace feedd::lib
