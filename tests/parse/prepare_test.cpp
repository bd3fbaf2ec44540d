#include "parse/prepare.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/iconv/iconv.hpp"
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

// Text, CDATA and attribute values are copied a run at a time, eight bytes per step: every
// byte the repair looks at must be found wherever it falls in a run, the last bytes included.
TEST(Prepare, RepairsAtEveryOffsetOfARun) {
  struct Case {
    std::string what, want_text, want_cdata, want_attribute;
  };
  const std::vector<Case> cases = {
      {"&", "&amp;", "&", "&amp;"},
      {"<", "&lt;", "<", "&lt;"},
      {"&nbsp;", "\u00A0", "&nbsp;", "\u00A0"},
      {"\x01", "", "", ""},
      {"\x1F", "", "", ""},
      {"\xEF\xBF\xBF", "", "\xEF\xBF\xBF", ""},
      {"\xEF\xBC\x8C", "\xEF\xBC\x8C", "\xEF\xBC\x8C", "\xEF\xBC\x8C"},  // "，" stays
      {"\t\n\r", "\t\n\r", "\t\n\r", "\t\n\r"},
      {"'", "'", "'", "'"},
  };
  for (const auto& c : cases) {
    for (std::size_t before = 0; before < 20; ++before) {
      for (const std::size_t after : {0, 1, 7, 8, 9}) {
        SCOPED_TRACE(c.what + " at offset " + std::to_string(before) +
                     ", bytes after it: " + std::to_string(after));
        const std::string pre(before, 'x'), post(after, 'y');
        const std::string run = pre + c.what + post;
        const Prepared p =
            prepare("<a b=\"" + run + "\">" + run + "<![CDATA[" + run + "]]></a>", "");
        EXPECT_EQ(p.error, "");
        EXPECT_EQ(p.xml, "<a b=\"" + pre + c.want_attribute + post + "\">" + pre + c.want_text +
                             post + "<![CDATA[" + pre + c.want_cdata + post + "]]></a>");
      }
    }
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

// `utf8` encoded in GB18030, which is GBK (and GB2312) for the characters those have.
std::string gbk(std::string_view utf8) {
  auto cd = lib::Iconv::open("GB18030", "UTF-8");
  EXPECT_TRUE(cd);
  return cd ? cd->convert(utf8, "?").text : std::string();
}

TEST(Prepare, CharsetOrder) {
  const std::string gbk_title = "\xD6\xD0\xCE\xC4";  // "中文" in GBK
  const std::string utf8_title = "中文";
  const std::string long_title = "一段足够长的简体中文标题";
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  struct Case {
    std::string name, body, content_type, want_text, want_charset;
    std::string forced = "";  // a channel's encoding:
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
      // Nothing names a charset that decodes the body: GB18030 before U+FFFD.
      {"undeclared GBK", "<t>" + gbk_title + "</t>", "text/xml", "<t>中文</t>", "GB18030"},
      {"declared UTF-8, no header, GBK body",
       "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>" + gbk_title + "</t>", "", "<t>中文</t>",
       "GB18030"},
      {"unknown declared charset",
       "<?xml version='1.0' encoding='x-klingon'?><t>" + gbk_title + "</t>", "", "<t>中文</t>",
       "GB18030"},
      {"undeclared GBK with one stray byte", "<t>" + gbk(long_title) + "\xFF</t>", "",
       "<t>" + long_title + r + "</t>", "GB18030"},
      {"bytes that are neither",
       "<t>a\xFF\x80\xFF"
       "b</t>",
       "", "<t>a" + r + r + r + "b</t>", "UTF-8"},
      // GB18030 explains more (1 invalid byte, not 3) but not decisively: it would garble 中文标题.
      {"UTF-8 with junk", "<t>中文标题\xFF\xFE\xFD</t>", "", "<t>中文标题" + r + r + r + "</t>",
       "UTF-8"},
      // GB18030 explains about as much, taking the quotes' bytes for other characters.
      {"UTF-8 with a stray Latin-1 byte", "<t>中文 caf\xE9 “x”</t>", "",
       "<t>中文 caf" + r + " “x”</t>", "UTF-8"},
      // "\xC3\xA8\xC3\xAB" is "èë" in UTF-8 and "猫毛" in GBK.
      {"bytes valid in UTF-8 and GBK are UTF-8", "<t>\xC3\xA8\xC3\xAB</t>", "", "<t>èë</t>",
       "UTF-8"},
      // A channel's encoding: overrides every kind of detection.
      {"encoding: beats valid UTF-8", "<t>\xC3\xA8\xC3\xAB</t>", "", "<t>猫毛</t>", "GB18030",
       "gbk"},
      {"encoding: beats a wrong declaration",
       "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>" + gbk_title + "</t>",
       "text/xml; charset=big5", "<t>中文</t>", "GB18030", "gb2312"},
      {"encoding: UTF-8 replaces what is not", "<t>" + gbk_title + "</t>", "",
       "<t>" + r + r + r + r + "</t>", "UTF-8", "utf8"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Prepared p = prepare(c.body, c.content_type, c.forced);
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.xml, c.want_text);
    EXPECT_EQ(p.charset, c.want_charset);
  }
}

TEST(Prepare, CharsetWarnings) {
  struct Case {
    std::string name, body, content_type, forced;
    std::vector<std::string> warnings;
  };
  const std::string gbk_title = "\xD6\xD0\xCE\xC4";
  const std::vector<Case> cases = {
      {"undeclared GBK",
       "<t>" + gbk_title + "</t>",
       "",
       "",
       {"not UTF-8 and no usable charset named: read as GB18030"}},
      {"unknown header charset",
       "<t>" + gbk_title + "</t>",
       "text/xml; charset=x-klingon",
       "",
       {"unknown charset x-klingon", "not UTF-8 and no usable charset named: read as GB18030"}},
      {"GBK with a stray byte",
       "<t>" + gbk("一段足够长的简体中文标题") + "\xFF</t>",
       "",
       "",
       {"not UTF-8 and no usable charset named: read as GB18030",
        "replaced 1 invalid GB18030 sequences"}},
      {"neither", "<t>\xFF\xFE</t>", "", "", {"invalid UTF-8: replaced 2 sequences with U+FFFD"}},
      {"encoding: is silent when it decodes", "<t>" + gbk_title + "</t>", "", "gbk", {}},
      {"encoding: with invalid bytes",
       "<t>" + gbk_title + "\xFF</t>",
       "",
       "gbk",
       {"replaced 1 invalid GB18030 sequences"}},
      // The config refuses such names; one that reaches prepare() anyway is not fatal.
      {"encoding: iconv does not know",
       "<t>" + gbk_title + "</t>",
       "",
       "x-klingon",
       {"unknown charset x-klingon in encoding:; detected the charset instead",
        "not UTF-8 and no usable charset named: read as GB18030"}},
      {"encoding: with an iconv suffix",
       "<t>a</t>",
       "",
       "utf-8//IGNORE",
       {"unknown charset utf-8//IGNORE in encoding:; detected the charset instead"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Prepared p = prepare(c.body, c.content_type, c.forced);
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.warnings, c.warnings);
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
      {"gb2312", "GB18030"},
      {"GBK", "GB18030"},
      {"x-gbk", "GB18030"},
      {"gb18030", "GB18030"},
      {"big5", "BIG5"},
      {"utf8", "UTF-8"},
      {"UTF-8", "UTF-8"},
      {"iso-8859-1", "WINDOWS-1252"},
      {"shift_jis", "SHIFT_JIS"},
      // Not a plain label: glibc would read "//" as options, a space or NUL as part of a name.
      {"utf-8//IGNORE", ""},
      {"gb 2312", ""},
      {std::string("gbk\0x", 5), ""},
      {"", ""},
      {std::string(41, 'A'), ""},
      {"ISO_8859-1:1987", "ISO_8859-1:1987"},
  };
  for (const auto& [in, want] : names)
    EXPECT_EQ(lib::iconv_charset(in), want) << in;
  for (const std::string known : {"gbk", "GB2312", "x-gbk", "big5", "UTF8", "latin1", "CP936"})
    EXPECT_TRUE(lib::known_charset(known)) << known;
  for (const std::string unknown : {"", "x-klingon", "gbk//IGNORE", "utf-8//TRANSLIT"})
    EXPECT_FALSE(lib::known_charset(unknown)) << unknown;
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
