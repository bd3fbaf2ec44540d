#include "util/markup.hpp"

#include <gtest/gtest.h>

namespace feedd {
namespace {

TEST(AppendEscaped, EachModeEscapesExactlyItsCharacters) {
  struct Case {
    Escape what;
    std::string_view in;
    std::string_view want;
  };
  const Case cases[] = {
      {Escape::kText, R"(a & b < c > d "e" 'f')", R"(a &amp; b &lt; c &gt; d "e" 'f')"},
      {Escape::kAttribute, R"(a & b < c > d "e" 'f')",
       R"(a &amp; b &lt; c &gt; d &quot;e&quot; 'f')"},
      {Escape::kAnyQuoting, R"(a & b < c > d "e" 'f')",
       "a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;"},
      {Escape::kAnyQuoting, "新媒体 › ZAKER &amp;", "新媒体 › ZAKER &amp;amp;"},  // UTF-8 as is
      {Escape::kText, "", ""},
  };
  for (const auto& c : cases) {
    std::string out = "prefix:";
    append_escaped(out, c.in, c.what);
    EXPECT_EQ(out, "prefix:" + std::string(c.want)) << c.in;
  }
}

}  // namespace
}  // namespace feedd
