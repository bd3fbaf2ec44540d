// Titles are plain text (issue 10): Atom html titles decoded and stripped of tags, xhtml titles
// reduced to their text, text titles and RSS titles kept as published.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "article/article.hpp"
#include "lib/gumbo/text.hpp"
#include "parse/feed.hpp"

namespace feedd::parse {
namespace {

constexpr std::string_view kXhtmlNs = "http://www.w3.org/1999/xhtml";

// A one-entry feed of `dialect` whose entry title element is `title` (and feed title too when
// `feed_title` is set).
std::string body(Dialect dialect, const std::string& title, const std::string& feed_title = "") {
  switch (dialect) {
    case Dialect::kAtom10:
      return "<feed xmlns=\"http://www.w3.org/2005/Atom\">" + feed_title + "<entry>" + title +
             "<id>urn:x:1</id></entry></feed>";
    case Dialect::kAtom03:
      return "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">" + feed_title + "<entry>" +
             title + "<id>urn:x:1</id></entry></feed>";
    case Dialect::kRss:
    case Dialect::kRdf:
      break;
  }
  return "<rss version=\"2.0\"><channel>" + feed_title + "<item>" + title +
         "<guid>1</guid></item></channel></rss>";
}

Feed parsed(const std::string& xml) {
  const Result r = parse_feed(xml, Options{});
  EXPECT_TRUE(r.feed) << r.error;
  return r.feed.value_or(Feed{});
}

struct TitleCase {
  std::string name;
  Dialect dialect;
  std::string element;  // the whole title element as published
  std::string want;     // FeedItem::title
};

const std::vector<TitleCase>& title_cases() {
  const std::string div = "<div xmlns=\"" + std::string(kXhtmlNs) + "\">";
  static const std::vector<TitleCase> cases = {
      // Text titles are text: whatever looks like markup is kept as characters.
      {"atom text", Dialect::kAtom10, "<title>Tom &amp; Jerry &lt;em&gt;新&lt;/em&gt;版</title>",
       "Tom & Jerry <em>新</em>版"},
      {"atom type=text keeps its line breaks", Dialect::kAtom10,
       "<title type=\"text\">  第一行\n第二行  </title>", "第一行\n第二行"},
      {"atom text/plain", Dialect::kAtom10, "<title type=\"text/plain\">a &lt; b</title>", "a < b"},
      // The example: one level of escaping is XML's, the next is HTML's.
      {"atom html", Dialect::kAtom10,
       "<title type=\"html\">Tom &amp;amp; Jerry &lt;em&gt;新&lt;/em&gt;版</title>",
       "Tom & Jerry 新版"},
      {"atom html, text that is markup after two decodings", Dialect::kAtom10,
       "<title type=\"html\">1 &amp;lt; 2 &amp;amp;&amp;amp; &lt;b&gt;粗&lt;/b&gt; "
       "&amp;lt;共通&amp;gt;</title>",
       "1 < 2 && 粗 <共通>"},
      {"atom html in CDATA", Dialect::kAtom10,
       "<title type=\"html\"><![CDATA[<b>粗体</b> &amp; <i>斜体</i>&nbsp;&#x4E2D;]]></title>",
       "粗体 & 斜体\u00A0中"},
      {"atom html blocks and br are word breaks, white space folded", Dialect::kAtom10,
       "<title type=\"html\">  第一行&lt;br&gt;第二行&lt;p&gt;段落&lt;/p&gt;尾\n\t 巴 "
       "</title>",
       "第一行 第二行 段落 尾 巴"},
      {"atom html drops script and comments", Dialect::kAtom10,
       "<title type=\"html\">&lt;script&gt;alert(1)&lt;/script&gt;标&lt;!-- x "
       "--&gt;题&lt;style&gt;b{}&lt;/style&gt;</title>",
       "标题"},
      {"atom html with an unclosed tag", Dialect::kAtom10,
       "<title type=\"html\">A &lt;b&gt;bold &lt;i&gt;start</title>", "A bold start"},
      {"atom text/html", Dialect::kAtom10, "<title type=\"text/html\">&lt;i&gt;x&lt;/i&gt;</title>",
       "x"},
      // XHTML: the div's descendants' text, entities decoded once (by XML), escaped markup kept.
      {"atom xhtml", Dialect::kAtom10,
       "<title type=\"xhtml\">" + div +
           "Tom &amp; <em>Jerry <b>新</b></em> &lt;版&gt;<br/>二&#x4E8C;&nbsp;三</div></title>",
       "Tom & Jerry 新 <版> 二二\u00A0三"},
      {"atom xhtml with a prefixed div", Dialect::kAtom10,
       "<title type=\"xhtml\"><x:div xmlns:x=\"" + std::string(kXhtmlNs) +
           "\"><x:p>一</x:p><x:p>二</x:p></x:div></title>",
       "一 二"},
      // Atom 0.3: mode="escaped" is HTML (type text/html by default here), mode="xml" inline.
      {"atom 0.3 escaped", Dialect::kAtom03,
       "<title mode=\"escaped\" type=\"text/html\">Old &amp;amp; &lt;b&gt;新&lt;/b&gt;</title>",
       "Old & 新"},
      {"atom 0.3 escaped without type", Dialect::kAtom03,
       "<title mode=\"escaped\">&lt;i&gt;斜&lt;/i&gt;</title>", "斜"},
      {"atom 0.3 escaped text/plain", Dialect::kAtom03,
       "<title mode=\"escaped\" type=\"text/plain\">&lt;i&gt;</title>", "<i>"},
      {"atom 0.3 text/html without mode", Dialect::kAtom03,
       "<title type=\"text/html\">A &amp;amp; B</title>", "A & B"},
      {"atom 0.3 inline xml", Dialect::kAtom03,
       "<title mode=\"xml\" type=\"application/xhtml+xml\">" + div + "X <b>Y</b></div></title>",
       "X Y"},
      {"atom 0.3 plain", Dialect::kAtom03, "<title>1 &lt; 2</title>", "1 < 2"},
      // RSS titles are text: an escaped '<' is a character of the title.
      {"rss", Dialect::kRss, "<title>&lt;共通&gt; 标题 &amp;lt;b&amp;gt;</title>",
       "<共通> 标题 &lt;b&gt;"},
      {"rss markup-looking text is kept", Dialect::kRss, "<title>&lt;b&gt;粗&lt;/b&gt;</title>",
       "<b>粗</b>"},
  };
  return cases;
}

TEST(Titles, EntryTitlesArePlainText) {
  for (const auto& c : title_cases()) {
    SCOPED_TRACE(c.name);
    const Feed f = parsed(body(c.dialect, c.element));
    ASSERT_EQ(f.items.size(), 1u);
    EXPECT_EQ(f.items[0].title, c.want);
  }
}

// The feed's own title (atom:source's title downstream) follows the same rules.
TEST(Titles, FeedTitlesArePlainText) {
  for (const auto& c : title_cases()) {
    SCOPED_TRACE(c.name);
    const Feed f = parsed(body(c.dialect, "<title>x</title>", c.element));
    EXPECT_EQ(f.title, c.want);
  }
}

// The title hash must not change: before this change an html title reached the article stage
// as its markup (what the same element gives as type="text"), and normalize_title decoded and
// stripped it there. Inline markup only: block elements and <br> now separate words, which
// the old markup's hash did not do.
TEST(Titles, HtmlTitlesHashAsTheirMarkupDid) {
  const std::vector<std::string> escaped = {
      "Tom &amp;amp; Jerry &lt;em&gt;新&lt;/em&gt;版",
      "&lt;b&gt;粗体&lt;/b&gt; &amp;amp; &lt;i&gt;斜体&lt;/i&gt;&amp;nbsp;&amp;#x4E2D;",
      "  多\n\t行   &lt;span class=\"x\"&gt;标题&lt;/span&gt; ",
      "“引号”&amp;mdash;&lt;a href=\"https://example.com/\"&gt;链接&lt;/a&gt;",
      "&lt;script&gt;x&lt;/script&gt;正文",
      "plain words",
  };
  for (const auto& e : escaped) {
    SCOPED_TRACE(e);
    const Feed before = parsed(body(Dialect::kAtom10, "<title type=\"text\">" + e + "</title>"));
    const Feed after = parsed(body(Dialect::kAtom10, "<title type=\"html\">" + e + "</title>"));
    ASSERT_EQ(before.items.size(), 1u);
    ASSERT_EQ(after.items.size(), 1u);
    EXPECT_EQ(article::title_hash(after.items[0].title),
              article::title_hash(before.items[0].title));
  }
}

TEST(HtmlToLine, Cases) {
  struct Case {
    std::string html, want;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {" \t\r\n\f", ""},
      {"no markup  at\tall ", "no markup at all"},
      {"a&amp;b &lt;c&gt; &unknown; &copy", "a&b <c> &unknown; \u00A9"},
      {"<p>one</p><p>two</p>", "one two"},
      {"in<b>line</b>", "inline"},
      {"a<br>b<hr>c<img src=x>d", "a b c d"},
      {"<table><tr><td>1</td><td>2</td></tr></table>", "1 2"},
      {"<script>s</script><style>t</style><template>u</template>v<!-- w -->", "v"},
      {"\u3000全角\u00A0空格\u3000", "\u3000全角\u00A0空格\u3000"},
      {"</p></div>stray ends<", "stray ends<"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.html);
    EXPECT_EQ(lib::html_to_line(c.html), c.want);
  }
}

}  // namespace
}  // namespace feedd::parse
