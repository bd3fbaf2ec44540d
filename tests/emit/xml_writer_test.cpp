#include "emit/xml_writer.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "article/article.hpp"
#include "emit/emit.hpp"
#include "emit/hostile_gen.hpp"
#include "lib/curl/url.hpp"
#include "util/time.hpp"

namespace feedd::emit {
namespace {

// --- the appenders ----------------------------------------------------------------------------

struct EscapeCase {
  std::string name, in, text, attribute;
};

// pugixml's choices, which the golden files hold: '>' is a reference in text but not in an
// attribute, '"' the other way round, tab/LF/CR as they are in text and as two-digit decimal
// references in an attribute; what xml_safe_text drops or replaces, in both.
TEST(XmlAppend, Table) {
  const std::string kFffd = "\xEF\xBF\xBD";
  const std::vector<EscapeCase> cases = {
      {"empty", "", "", ""},
      {"plain", "plain text, longer than eight bytes", "plain text, longer than eight bytes",
       "plain text, longer than eight bytes"},
      {"amp", "a&b", "a&amp;b", "a&amp;b"},
      {"lt", "a<b", "a&lt;b", "a&lt;b"},
      {"gt", "a>b", "a&gt;b", "a>b"},
      {"cdata end", "x]]>y", "x]]&gt;y", "x]]>y"},
      {"quote", "a\"b", "a\"b", "a&quot;b"},
      {"apostrophe", "a'b", "a'b", "a'b"},
      {"tab", "a\tb", "a\tb", "a&#09;b"},
      {"line feed", "a\nb", "a\nb", "a&#10;b"},
      {"carriage return", "a\r\nb", "a\r\nb", "a&#13;&#10;b"},
      {"C0 controls dropped", std::string("a\x01\x1B") + '\0' + "b\x1F", "ab", "ab"},
      {"DEL and C1 kept", "\x7F\xC2\x85", "\x7F\xC2\x85", "\x7F\xC2\x85"},
      {"CJK", "新媒体 › ZAKER", "新媒体 › ZAKER", "新媒体 › ZAKER"},
      {"CJK run then markup", "天气转暖<p>夜跑</p>", "天气转暖&lt;p&gt;夜跑&lt;/p&gt;",
       "天气转暖&lt;p>夜跑&lt;/p>"},
      {"4-byte", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {"U+FFFE/U+FFFF dropped", "a\xEF\xBF\xBE\xEF\xBF\xBF<", "a&lt;", "a&lt;"},
      {"U+FFFD kept", kFffd, kFffd, kFffd},
      {"U+E000 and U+D7FF kept", "\xEE\x80\x80\xED\x9F\xBF", "\xEE\x80\x80\xED\x9F\xBF",
       "\xEE\x80\x80\xED\x9F\xBF"},
      {"CESU surrogate", "\xED\xA0\x80&", kFffd + kFffd + kFffd + "&amp;",
       kFffd + kFffd + kFffd + "&amp;"},
      {"overlong", "\xC0\xAF", kFffd + kFffd, kFffd + kFffd},
      {"truncated before markup", "\xE6\x96<", kFffd + "&lt;", kFffd + "&lt;"},
      {"truncated at end", "ab\xE6\x96", "ab" + kFffd, "ab" + kFffd},
      {"stray continuation", "\x80\"", kFffd + "\"", kFffd + "&quot;"},
      {"beyond U+10FFFF", "\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd,
       kFffd + kFffd + kFffd + kFffd},
  };
  for (const auto& c : cases) {
    std::string text = "[", attribute = "[";
    append_xml_text(text, c.in);
    append_xml_attribute(attribute, c.in);
    EXPECT_EQ(text, "[" + c.text) << c.name;
    EXPECT_EQ(attribute, "[" + c.attribute) << c.name;
  }
}

// xml_safe_text as a plain decoder would write it, one code point at a time: the model the
// scanner's fast paths (eight ASCII bytes, sixteen bytes of three-byte sequences) must match.
std::string reference_safe_text(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (lead >= 0x20 || lead == '\t' || lead == '\n' || lead == '\r') out += text[i];
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    char32_t cp = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      cp = lead & 0x0F;
      lo = lead == 0xE0 ? 0xA0 : 0x80;
      hi = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      cp = lead & 0x07;
      lo = lead == 0xF0 ? 0x90 : 0x80;
      hi = lead == 0xF4 ? 0x8F : 0xBF;
    }
    std::size_t taken = 1;
    bool ok = length != 0;
    while (ok && taken < length) {
      const auto c = i + taken < text.size() ? static_cast<unsigned char>(text[i + taken]) : 0;
      ok = i + taken < text.size() && (taken == 1 ? c >= lo && c <= hi : (c & 0xC0) == 0x80);
      if (ok) {
        cp = (cp << 6) | (c & 0x3F);
        ++taken;
      }
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
    } else if (cp != 0xFFFE && cp != 0xFFFF) {
      out += text.substr(i, length);
    }
    i += taken;
  }
  return out;
}

// The appenders against an obviously right model: the reference decoder, then one reference
// per character that needs one.
std::string model(std::string_view in, bool attribute) {
  std::string out;
  for (const char c : reference_safe_text(in)) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>' && !attribute) {
      out += "&gt;";
    } else if (c == '"' && attribute) {
      out += "&quot;";
    } else if (attribute && (c == '\t' || c == '\n' || c == '\r')) {
      out += c == '\t' ? "&#09;" : c == '\n' ? "&#10;" : "&#13;";
    } else {
      out += c;
    }
  }
  return out;
}

void expect_model(const std::string& in) {
  std::string text, attribute;
  append_xml_text(text, in);
  append_xml_attribute(attribute, in);
  ASSERT_EQ(xml_safe_text(in), reference_safe_text(in));
  ASSERT_EQ(text, model(in, false));
  ASSERT_EQ(attribute, model(in, true));
}

TEST(XmlAppend, MatchesModelOnHostileStrings) {
  testing::HostileGen gen(3);
  for (int i = 0; i < 50000; ++i) {
    SCOPED_TRACE(i);
    expect_model(gen.text(40));
    if (HasFatalFailure()) return;
  }
}

// Long runs of what the fast paths skip (ASCII; CJK, fullwidth punctuation and U+E000 as three
// bytes), with one place broken by each kind of byte that must stop them, at every offset.
TEST(XmlAppend, MatchesModelWhereFastRunsBreak) {
  const std::vector<std::string> runs = {
      std::string(40, 'a'),
      "成都技术机构，时间租金门诊。投资老师下降读者内容学校记者焦虑正在睡眠",
      "\xEE\x80\x80\xEF\xBC\x8C\xE3\x80\x82\xEF\xBF\xBD\xEA\xB0\x80\xE1\x80\x80"
      "\xEC\x9F\xBF\xEF\xBE\xBF\xE4\xB8\x80\xE9\xBE\xA5\xEE\x80\x80\xEF\xBC\x8C",
  };
  const std::vector<std::string> breaks = {
      "<",
      ">",
      "&",
      "\"",
      "\t",
      "\r",
      "\x01",
      std::string(1, '\0'),
      "\x80",
      "\xBF",
      "\xC0",
      "\xE0",
      "\xE0\x80",
      "\xED\xA0\x80",
      "\xEF\xBF\xBE",
      "\xEF\xBF\xBF",
      "\xEF\xBF",
      "\xED",
      "\xF0\x9F\x98\x80",
      "\xF4\x90",
      "\xFF",
      "z",
  };
  for (const auto& run : runs) {
    for (const auto& b : breaks) {
      for (std::size_t at = 0; at <= run.size(); ++at) {
        SCOPED_TRACE(::testing::Message()
                     << "break " << ::testing::PrintToString(b) << " at " << at);
        expect_model(run.substr(0, at) + b + run.substr(at));                           // inserted
        if (at < run.size()) expect_model(run.substr(0, at) + b + run.substr(at + 1));  // replaced
        if (HasFatalFailure()) return;
      }
    }
  }
}

// --- the writer's layout (pugixml's indented save) ---------------------------------------------

TEST(XmlWriter, Layout) {
  struct Case {
    std::string name;
    std::function<void(XmlWriter&)> write;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"declaration and empty root",
       [](XmlWriter& w) {
         w.declaration();
         w.start("r");
         w.end();
       },
       "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<r />\n"},
      {"attributes of an empty element",
       [](XmlWriter& w) {
         w.start("link");
         w.attribute("rel", "alternate");
         w.attribute("href", "https://x/?a=1&b=\"2\"");
         w.end();
       },
       "<link rel=\"alternate\" href=\"https://x/?a=1&amp;b=&quot;2&quot;\" />\n"},
      {"text elements, empty text included, nested two deep",
       [](XmlWriter& w) {
         w.start("feed");
         w.element("id", "a<b");
         w.start("title");
         w.attribute("type", "text");
         w.text("");
         w.end();
         w.start("author");
         w.element("name", "n");
         w.end();
         w.end();
       },
       "<feed>\n  <id>a&lt;b</id>\n  <title type=\"text\"></title>\n  <author>\n"
       "    <name>n</name>\n  </author>\n</feed>\n"},
      {"text in parts",
       [](XmlWriter& w) {
         w.start("id");
         w.text("urn:x:");
         w.text("&");
         w.end();
       },
       "<id>urn:x:&amp;</id>\n"},
      {"an empty child in a parent with attributes",
       [](XmlWriter& w) {
         w.start("outline");
         w.attribute("text", "t");
         w.start("outline");
         w.end();
         w.end();
       },
       "<outline text=\"t\">\n  <outline />\n</outline>\n"},
  };
  for (const auto& c : cases) {
    XmlWriter w(0);
    c.write(w);
    EXPECT_EQ(w.take(), c.want) << c.name;
  }
}

// --- render_atom / render_opml on random hostile input ------------------------------------------

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// pugixml as a reader that keeps every character: CR, and text that is only white space.
pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  const auto result =
      doc.load_string(xml.c_str(), pugi::parse_escapes | pugi::parse_ws_pcdata_single);
  EXPECT_TRUE(result) << result.description() << " at " << result.offset;
  return doc;
}

std::string attr(pugi::xml_node node, const char* name) {
  return node.attribute(name).value();
}

// Every string of an entry comes back from a real parser as xml_safe_text made it.
void check_entry(pugi::xml_node e, const Entry& entry) {
  const article::Article& a = entry.article;
  EXPECT_EQ(std::string(e.child_value("id")), "urn:feedd:article:" + xml_safe_text(a.hash));
  EXPECT_EQ(std::string(e.child_value("title")), xml_safe_text(a.title));
  EXPECT_EQ(attr(e.child("title"), "type"), "text");
  EXPECT_EQ(std::string(e.child_value("published")), format_rfc3339(a.date));
  EXPECT_EQ(std::string(e.child_value("updated")),
            format_rfc3339(a.updated && *a.updated > a.date ? *a.updated : a.date));
  const auto link = lib::web_url(a.link);
  const auto alternate = e.find_child_by_attribute("link", "rel", "alternate");
  EXPECT_EQ(bool(alternate), link.has_value());
  if (link) {
    EXPECT_EQ(attr(alternate, "href"), xml_safe_text(*link));
  }
  const std::string& author = blank(a.creator) ? a.author : a.creator;
  EXPECT_EQ(bool(e.child("author")), !author.empty());
  if (!author.empty()) {
    EXPECT_EQ(std::string(e.child("author").child_value("name")), xml_safe_text(author));
  }

  std::vector<std::string> terms, labels, tags, tag_labels;
  for (auto c : e.children("category")) {
    (c.attribute("scheme") ? tags : terms).push_back(attr(c, "term"));
    (c.attribute("scheme") ? tag_labels : labels).push_back(attr(c, "label"));
    if (c.attribute("scheme")) {
      EXPECT_EQ(attr(c, "scheme"), kTagScheme);
    }
  }
  std::vector<std::string> want_terms, want_tags;
  for (const auto& c : a.categories)
    want_terms.push_back(xml_safe_text(c));
  for (const auto& t : a.tags) {
    if (!blank(t)) want_tags.push_back(xml_safe_text(t));
  }
  EXPECT_EQ(terms, want_terms);
  EXPECT_EQ(labels, want_terms);
  EXPECT_EQ(tags, want_tags);
  EXPECT_EQ(tag_labels, want_tags);

  std::vector<std::string> hrefs, types, lengths, want_hrefs, want_types, want_lengths;
  for (auto l : e.children("link")) {
    if (attr(l, "rel") != "enclosure") continue;
    hrefs.push_back(attr(l, "href"));
    types.push_back(l.attribute("type") ? attr(l, "type") : "(none)");
    lengths.push_back(l.attribute("length") ? attr(l, "length") : "(none)");
  }
  for (const auto& enc : a.enclosures) {
    const auto href = lib::web_url(enc.url);
    if (!href) continue;
    want_hrefs.push_back(xml_safe_text(*href));
    want_types.push_back(article::is_mime_type(enc.type) ? xml_safe_text(enc.type) : "(none)");
    want_lengths.push_back(enc.length ? std::to_string(*enc.length) : "(none)");
  }
  EXPECT_EQ(hrefs, want_hrefs);
  EXPECT_EQ(types, want_types);
  EXPECT_EQ(lengths, want_lengths);

  if (!blank(a.html)) {
    EXPECT_EQ(std::string(e.child_value("content")), xml_safe_text(a.html));
    EXPECT_EQ(attr(e.child("content"), "type"), "html");
    if (a.summary) {
      EXPECT_EQ(bool(e.child("summary")), !blank(*a.summary));
      if (!blank(*a.summary)) {
        EXPECT_EQ(std::string(e.child_value("summary")), xml_safe_text(*a.summary));
      }
    }
  } else {
    const auto body = e.child(link ? "summary" : "content");
    EXPECT_EQ(std::string(body.child_value()), xml_safe_text(a.title));
    EXPECT_EQ(attr(body, "type"), "text");
  }

  const UpstreamInfo& up = entry.source;
  const std::string& title = blank(up.title) ? up.channel : up.title;
  const auto source = e.child("source");
  EXPECT_EQ(bool(source), !blank(title));
  if (source) {
    EXPECT_EQ(std::string(source.child_value("title")), xml_safe_text(title));
    EXPECT_EQ(std::string(source.child_value("updated")), format_rfc3339(a.date));
  }
}

TEST(RenderAtomProperty, ParsedValuesAreTheSafeInputs) {
  testing::HostileGen gen(11);
  const std::chrono::sys_seconds empty{std::chrono::seconds{1621605600}};
  for (int i = 0; i < 2000; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const FeedNode node = gen.node();
    const auto entries = gen.entries();
    const auto doc = parse(render_atom(node, entries, gen.base_url(), empty));
    const auto feed = doc.child("feed");
    ASSERT_TRUE(feed);
    EXPECT_EQ(std::string(feed.child_value("title")), xml_safe_text(node.title));
    std::vector<const Entry*> unique;
    for (const auto& e : entries) {
      if (std::none_of(unique.begin(), unique.end(),
                       [&](const Entry* u) { return u->article.hash == e.article.hash; }))
        unique.push_back(&e);
    }
    std::size_t k = 0;
    for (auto e : feed.children("entry")) {
      ASSERT_LT(k, unique.size());
      check_entry(e, *unique[k++]);
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_EQ(k, unique.size());
  }
}

TEST(RenderOpmlProperty, ParsedTitlesAreTheSafeInputs) {
  testing::HostileGen gen(13);
  for (int i = 0; i < 1000; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const auto nodes = gen.nodes();
    const std::string base = gen.base_url();
    const auto doc = parse(render_opml(nodes, base));
    std::vector<std::string> got, want;
    for (auto o : doc.select_nodes("//outline[@xmlUrl]"))
      got.push_back(attr(o.node(), "title"));
    for (const auto& n : nodes) {
      if (lib::web_url(base + n.file)) want.push_back(xml_safe_text(n.title));
    }
    ASSERT_EQ(got, want);
  }
}

// The published date through every formatting path: the civil calendar for years 1000–9999,
// format_rfc3339 outside them.
TEST(RenderAtom, DatesAsFormatRfc3339) {
  using std::chrono::seconds;
  using std::chrono::sys_days;
  using std::chrono::sys_seconds;
  using namespace std::chrono_literals;
  std::vector<sys_seconds> instants = {
      sys_seconds{},
      sys_seconds{seconds{-1}},
      sys_days{2000y / 2 / 29} + 23h + 59min + 59s,
      sys_days{2100y / 3 / 1},
      sys_days{1000y / 1 / 1},
      sys_days{1000y / 1 / 1} - 1s,
      sys_days{9999y / 12 / 31} + 23h + 59min + 59s,
      sys_days{10000y / 1 / 1},
      sys_days{2038y / 1 / 19} + 3h + 14min + 8s,
  };
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<long long> any(-62135596800LL, 253402300799LL);  // 0001–9999
  for (int i = 0; i < 5000; ++i)
    instants.push_back(sys_seconds{seconds{any(rng)}});
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < instants.size(); ++i) {
    Entry e;
    e.article.hash = std::to_string(i);
    e.article.date = instants[i];
    entries.push_back(e);
  }
  const auto doc = parse(render_atom(FeedNode{}, entries, "", sys_seconds{}));
  std::size_t k = 0;
  for (auto e : doc.child("feed").children("entry")) {
    ASSERT_LT(k, instants.size());
    EXPECT_EQ(std::string(e.child_value("published")), format_rfc3339(instants[k])) << k;
    ++k;
  }
  EXPECT_EQ(k, instants.size());
}

}  // namespace
}  // namespace feedd::emit
