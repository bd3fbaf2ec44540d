#include "parse/prepare.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parse/entities.hpp"

namespace feedd::parse {
namespace {

TEST(Prepare, Repairs) {
  struct Case {
    std::string in, want;
  };
  const std::vector<Case> cases = {
      {"<a>x & y</a>", "<a>x &amp; y</a>"},
      {"<a>1 < 2 <3 <!x</a>", "<a>1 &lt; 2 &lt;3 &lt;!x</a>"},
      {"<a>&nbsp;&mdash;&hellip;&copy;&AMP;&LT;</a>", "<a>\u00A0\u2014\u2026\u00A9&amp;&lt;</a>"},
      {"<a>&amp;&lt;&gt;&quot;&apos;</a>", "<a>&amp;&lt;&gt;&quot;&apos;</a>"},
      // Numeric references pass through, unless they name a character XML forbids.
      {"<a>&#160;&#x4E2D;&#x1;&#0;&#xFFFE;&#99999999999;</a>",
       "<a>&#160;&#x4E2D;&amp;#99999999999;</a>"},
      {"<a>&undefined; &lol9; &nbsp &;</a>", "<a>&amp;undefined; &amp;lol9; &amp;nbsp &amp;;</a>"},
      {"<a b=\"x&y<z&nbsp;\" c='&quot;'/>", "<a b=\"x&amp;y&lt;z\u00A0\" c='&quot;'/>"},
      {"<a>\x01t\x0bx\x1f\xEF\xBF\xBE\xEF\xBF\xBF\t\r\n</a>", "<a>tx\t\r\n</a>"},
      {"<a><!-- <b> --><![CDATA[&nbsp; <b>\x02]]></a>", "<a><![CDATA[&nbsp; <b>]]></a>"},
      {"<?xml version=\"1.0\" encoding=\"gbk\"?><?pi x?><a/>", "<a/>"},
      // The internal subset is skipped whole, "]>" inside a quoted value included.
      {"<!DOCTYPE a [<!ENTITY x \"]>\"><!-- ]> -->]><a>&x;</a>", "<a>&amp;x;</a>"},
      {"<a><b></a>", "<a><b></b></a>"},
      {"<a></b></a>", "<a></a>"},
      {"<a>x <b</a>", "<a>x &lt;b</a>"},
      {"<a  x = \"1\" >t</a >", "<a  x = \"1\" >t</a>"},
      // HTML-style unquoted attribute values get quotes.
      {"<a b=1 c = x&y d=q\"s e=f/>", "<a b=\"1\" c = \"x&amp;y\" d=\"q&quot;s\" e=\"f\"/>"},
      {"<a><img src=x.png></a>", "<a><img src=\"x.png\"></img></a>"},
      // Anything after the document element is dropped.
      {"<a>x</a>\n<b>second & doc", "<a>x</a>"},
      {"<a/><a/>", "<a/>"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    const Prepared p = prepare(c.in, "");
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.xml, c.want);
    EXPECT_FALSE(p.truncated);
  }
}

TEST(Prepare, RepairsAreReported) {
  const Prepared p = prepare("<a b=1>&nbsp;&x; & < \x01<i></a></u>tail", "");
  EXPECT_EQ(p.error, "");
  const std::vector<std::string> want = {
      "repaired 1 HTML entities",
      "repaired 1 unknown entities kept as text",
      "repaired 1 bare '&'",
      "repaired 1 bare '<'",
      "repaired 1 forbidden control characters",
      "repaired 1 unclosed elements",
      "repaired 1 unquoted attribute values",
      "ignored 8 bytes after the document element",
  };
  EXPECT_EQ(p.warnings, want);
  EXPECT_EQ(p.xml, "<a b=\"1\">\u00A0&amp;x; &amp; &lt; <i></i></a>");
}

TEST(Prepare, CutOffDocumentsAreClosed) {
  struct Case {
    std::string in, want;
    std::size_t open;
  };
  const std::vector<Case> cases = {
      {"<a><b>text", "<a><b>text</b></a>", 2},
      {"<a><b x=\"cut", "<a></a>", 1},
      {"<a><b/><c", "<a><b/></a>", 1},
      {"<a><![CDATA[half", "<a></a>", 1},
      {"<a><!-- half", "<a></a>", 1},
      {"<a>x &amp", "<a>x &amp;amp</a>", 1},
      {"<a></", "<a></a>", 1},
      {"<a><", "<a></a>", 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    const Prepared p = prepare(c.in, "");
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.xml, c.want);
    EXPECT_TRUE(p.truncated);
    EXPECT_EQ(p.open_at_end, c.open);
  }
  // Nothing is lost after the root element is closed.
  const Prepared done = prepare("<a/>\n<!-- trailing", "");
  EXPECT_FALSE(done.truncated);
  EXPECT_EQ(done.xml, "<a/>");
}

TEST(Prepare, Errors) {
  struct Case {
    std::string in, error;
  };
  std::string deep;
  for (std::size_t i = 0; i <= kMaxDepth; ++i)
    deep += "<d>";
  const std::vector<Case> cases = {
      {"", "empty body"},
      {" \r\n\t", "empty body"},
      {"\xEF\xBB\xBF\n ", "empty body"},
      {"{\"json\": true}", "not a feed: not XML (starts with \"{\\x22json\\x22: tru\")"},
      {"<!doctype HTML><title>x</title>", "not a feed: HTML page"},
      {"<html><head><meta charset=utf-8>", "not a feed: HTML page"},
      {deep, "XML error: elements nested deeper than 512"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in.substr(0, 40));
    EXPECT_EQ(prepare(c.in, "").error, c.error);
  }
}

TEST(Prepare, CharsetOrder) {
  const std::string gbk_title = "\xD6\xD0\xCE\xC4";  // "中文" in GBK
  const std::string utf8_title = "中文";
  struct Case {
    std::string name, body, content_type, want_text, want_charset;
  };
  const std::vector<Case> cases = {
      {"declaration", "<?xml version='1.0' encoding='GB2312'?><t>" + gbk_title + "</t>", "",
       "<t>中文</t>", "GB18030"},
      {"header", "<t>" + gbk_title + "</t>", "text/xml;charset=gbk", "<t>中文</t>", "GB18030"},
      {"declaration before header",
       "<?xml version=\"1.0\" encoding=\"gbk\"?><t>" + gbk_title + "</t>", "text/xml; charset=big5",
       "<t>中文</t>", "GB18030"},
      {"declared UTF-8 is skipped when the body is not UTF-8",
       "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>" + gbk_title + "</t>",
       "application/rss+xml; charset=GBK", "<t>中文</t>", "GB18030"},
      {"valid UTF-8 wins over both",
       "<?xml version='1.0' encoding='gbk'?><t>" + utf8_title + "</t>", "text/xml; charset=big5",
       "<t>中文</t>", "UTF-8"},
      {"BOM wins", "\xEF\xBB\xBF<t>" + utf8_title + "\xFF</t>", "text/xml; charset=gbk",
       "<t>中文\xEF\xBF\xBD</t>", "UTF-8"},
      {"UTF-16BE BOM", std::string("\xFE\xFF\0<\0t\0/\0>", 10), "", "<t/>", "UTF-16BE"},
      {"Big5", "<?xml version=\"1.0\" encoding=\"big5\"?><t>\xA4\xA4\xA4\xE5</t>", "",
       "<t>中文</t>", "BIG5"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Prepared p = prepare(c.body, c.content_type);
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.xml, c.want_text);
    EXPECT_EQ(p.charset, c.want_charset);
  }
}

TEST(Prepare, CharsetHelpers) {
  EXPECT_EQ(charset_from_content_type("text/xml; charset=GBK"), "GBK");
  EXPECT_EQ(charset_from_content_type("text/xml;Charset=\"utf-8\"; q=1"), "utf-8");
  EXPECT_EQ(charset_from_content_type("application/rss+xml"), "");
  EXPECT_EQ(charset_from_content_type(""), "");
  EXPECT_EQ(declared_encoding("<?xml version=\"1.0\" encoding=\"gb2312\"?><rss/>"), "gb2312");
  EXPECT_EQ(declared_encoding("<?xml version='1.0' encoding='Big5' standalone='yes'?>"), "Big5");
  EXPECT_EQ(declared_encoding("<?xml version=\"1.0\"?><rss/>"), "");
  EXPECT_EQ(declared_encoding("<rss encoding=\"gbk\"/>"), "");
  const std::vector<std::pair<std::string, std::string>> names = {
      {"gb2312", "GB18030"},      {"GBK", "GB18030"},
      {"x-gbk", "GB18030"},       {"gb18030", "GB18030"},
      {"big5", "BIG5"},           {"utf8", "UTF-8"},
      {"UTF-8", "UTF-8"},         {"iso-8859-1", "WINDOWS-1252"},
      {"shift_jis", "SHIFT_JIS"},
  };
  for (const auto& [in, want] : names)
    EXPECT_EQ(iconv_charset(in), want) << in;
}

TEST(Prepare, EntityTable) {
  EXPECT_EQ(html_entity("nbsp"), "\u00A0");
  EXPECT_EQ(html_entity("mdash"), "\u2014");
  EXPECT_EQ(html_entity("hellip"), "\u2026");
  EXPECT_EQ(html_entity("copy"), "\u00A9");
  EXPECT_EQ(html_entity("eacute"), "\u00E9");
  EXPECT_EQ(html_entity("Eacute"), "\u00C9");
  EXPECT_EQ(html_entity("euro"), "\u20AC");
  EXPECT_EQ(html_entity("NBSP"), "\u00A0");
  EXPECT_EQ(html_entity("lol9"), "");
  EXPECT_EQ(html_entity("amp"), "");  // XML's own: never replaced
  EXPECT_EQ(html_entity(""), "");
}

}  // namespace
}  // namespace feedd::parse
