// TEMPORARY: the pugixml renderer render_atom/render_opml used before the streaming writer,
// kept only to prove the writer's bytes identical on random hostile inputs.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "emit/emit.hpp"
#include "emit/hostile_gen.hpp"
#include "lib/curl/url.hpp"
#include "util/ascii.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace feedd::emit {
namespace legacy {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// XML 1.0 §2.2 Char, for code points a well-formed UTF-8 sequence can carry.
bool is_xml_char(char32_t cp) {
  if (cp < 0x20) return cp == 0x09 || cp == 0x0A || cp == 0x0D;
  return cp != 0xFFFE && cp != 0xFFFF;
}

}  // namespace

std::string legacy_safe_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (is_xml_char(lead)) out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    // The second byte's range excludes overlong forms, surrogates and values past U+10FFFF
    // (RFC 3629 §4), so every sequence that completes below is a valid scalar value.
    std::size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    char32_t cp = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      cp = lead & 0x0F;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      cp = lead & 0x07;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    }
    std::size_t taken = 1;
    bool ok = length != 0;
    while (ok && taken < length) {
      if (i + taken >= text.size()) {
        ok = false;
        break;
      }
      const auto c = static_cast<unsigned char>(text[i + taken]);
      const bool in_range = taken == 1 ? (c >= lo && c <= hi) : is_continuation(c);
      if (!in_range) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (c & 0x3F);
      ++taken;
    }
    if (!ok) {
      // One U+FFFD per maximal ill-formed subpart (Unicode §3.9 "best practice").
      out.append(kReplacement);
    } else if (is_xml_char(cp)) {
      out.append(text.substr(i, length));
    }
    i += taken;
  }
  return out;
}

namespace {

constexpr const char* kAtomNs = "http://www.w3.org/2005/Atom";
constexpr std::string_view kTitleSeparator = " › ";

class StringWriter : public pugi::xml_writer {
 public:
  void write(const void* data, std::size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
  std::string out;
};

std::string save(const pugi::xml_document& doc) {
  StringWriter writer;
  doc.save(writer, "  ", pugi::format_default, pugi::encoding_utf8);
  return std::move(writer.out);
}

void add_declaration(pugi::xml_document& doc) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "utf-8";
}

// Every string that reaches the document goes through these two, so nothing upstream sent can
// make it ill-formed; pugixml does the escaping.
void set_attr(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name) = legacy_safe_text(value).c_str();
}

pugi::xml_node add_text(pugi::xml_node parent, const char* name, std::string_view text) {
  auto node = parent.append_child(name);
  node.text() = legacy_safe_text(text).c_str();
  return node;
}

void add_link(pugi::xml_node parent, std::string_view rel, std::string_view type,
              std::string_view href) {
  auto link = parent.append_child("link");
  set_attr(link, "rel", rel);
  if (!type.empty()) set_attr(link, "type", type);
  set_attr(link, "href", href);
}

// Writes a link only when its URL passes the URL contract (lib::web_url).
void add_web_link(pugi::xml_node parent, std::string_view rel, std::string_view type,
                  std::string_view url) {
  if (auto href = lib::web_url(url)) add_link(parent, rel, type, *href);
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

// RFC 2141 <trans> but '%', which starts an escape: the characters a URN's NSS may hold as
// they are.
bool is_urn_char(char c) {
  return is_alnum(c) || std::string_view("()+,-.:=@;$_!*'").find(c) != std::string_view::npos;
}

// RFC 2141 reserves '/' (and '%', '?', '#'): each path segment is written with its other
// characters escaped and the segments joined by ':', which no escaped segment holds, so two
// paths never share an id. Slugs (a-z, 0-9, '_', '-') come out as they are.
std::string feed_id(const FeedNode& node) {
  if (node.path.empty()) return "urn:feedd:feed:all";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string id = "urn:feedd:feed:";
  for (const char c : node.path) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '/') {
      id += ':';
    } else if (c != ':' && is_urn_char(c)) {
      id += c;
    } else {
      id += '%';
      id += kHex[b >> 4];
      id += kHex[b & 0xF];
    }
  }
  return id;
}

// lib::web_url and source_id results of one render: every entry from one channel carries the
// same upstream link and id, and a URL parse costs more than the rest of the atom:source.
class UrlMemo {
 public:
  const std::optional<std::string>& web_url(const std::string& url) {
    return remember(web_, url, [](std::string_view u) { return lib::web_url(u); });
  }
  const std::optional<std::string>& source_id(const std::string& id) {
    return remember(ids_, id, [](std::string_view u) { return emit::source_id(u); });
  }

 private:
  // Node-based: references to values stay valid as the map grows.
  using Map = std::unordered_map<std::string, std::optional<std::string>>;
  template <typename F>
  static const std::optional<std::string>& remember(Map& map, const std::string& key, F f) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(key, f(key)).first;
    return it->second;
  }
  Map web_, ids_;
};

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void add_entry(pugi::xml_node feed, const Entry& entry, UrlMemo& memo) {
  const article::Article& a = entry.article;
  const std::string date = format_rfc3339(a.date);
  auto e = feed.append_child("entry");
  add_text(e, "id", "urn:feedd:article:" + a.hash);
  set_attr(add_text(e, "title", a.title), "type", "text");
  const auto link = lib::web_url(a.link);
  if (link) add_link(e, "alternate", "text/html", *link);
  add_text(e, "published", date);
  // An article rewritten under `updates: true` says when; otherwise it never changed.
  add_text(e, "updated", a.updated && *a.updated > a.date ? format_rfc3339(*a.updated) : date);
  // The upstream author when the item named one, else the source, as in the post's author:.
  const std::string& author = blank(a.creator) ? a.author : a.creator;
  if (!author.empty()) add_text(e.append_child("author"), "name", author);
  for (const auto& name : a.categories) {
    auto category = e.append_child("category");
    set_attr(category, "term", name);
    set_attr(category, "label", name);
  }
  // Upstream categories carry a scheme, so a reader can tell them from feedd's levels above.
  for (const auto& tag : a.tags) {
    if (blank(tag)) continue;
    auto category = e.append_child("category");
    set_attr(category, "term", tag);
    set_attr(category, "scheme", kTagScheme);
    set_attr(category, "label", tag);
  }
  for (const auto& enclosure : a.enclosures) {
    const auto& href = memo.web_url(enclosure.url);
    if (!href) continue;
    auto link = e.append_child("link");
    set_attr(link, "rel", "enclosure");
    if (article::is_mime_type(enclosure.type)) set_attr(link, "type", enclosure.type);
    set_attr(link, "href", *href);
    if (enclosure.length) set_attr(link, "length", std::to_string(*enclosure.length));
  }
  if (!blank(a.html)) {
    const std::string summary =
        a.summary ? *a.summary : article::html_to_text(a.html, kSummaryBytes);
    if (!blank(summary)) set_attr(add_text(e, "summary", summary), "type", "text");
    set_attr(add_text(e, "content", a.html), "type", "html");
  } else {
    // No body: the title is all the text the entry has. Written where it keeps the entry
    // valid and readers' item views non-blank (see render_atom).
    set_attr(add_text(e, link ? "summary" : "content", a.title), "type", "text");
  }

  const UpstreamInfo& up = entry.source;
  const std::string& title = blank(up.title) ? up.channel : up.title;
  if (blank(title)) return;
  auto source = e.append_child("source");
  const auto& id = memo.source_id(up.id);
  const auto& fallback = memo.source_id(up.feed_url);
  if (id || fallback) add_text(source, "id", id ? *id : *fallback);
  add_text(source, "title", title);
  if (const auto& link = memo.web_url(up.link)) add_link(source, "alternate", "", *link);
  add_text(source, "updated", date);
}

// Appends the leaf outline of `node`'s feed to `parent`; none when its URL fails the contract.
void add_leaf(pugi::xml_node parent, const FeedNode& node, std::string_view base) {
  const std::string b(base);
  const auto xml_url = lib::web_url(b + node.file);
  if (!xml_url) return;
  auto outline = parent.append_child("outline");
  set_attr(outline, "text", node.title);
  set_attr(outline, "title", node.title);
  set_attr(outline, "type", "rss");
  set_attr(outline, "xmlUrl", *xml_url);
  if (auto html_url = lib::web_url(base)) set_attr(outline, "htmlUrl", *html_url);
}

}  // namespace

std::string render_atom(const FeedNode& node, const std::vector<Entry>& entries,
                        std::string_view base_url, std::chrono::sys_seconds empty_updated) {
  std::vector<const Entry*> unique;
  unique.reserve(entries.size());
  std::unordered_set<std::string_view> seen;
  for (const auto& entry : entries) {
    if (seen.insert(entry.article.hash).second) unique.push_back(&entry);
  }
  // The maximum rather than the first: "newest first" is the caller's promise, and a feed
  // whose updated is older than one of its entries would hide that entry from some readers.
  // An entry rewritten under `updates: true` counts with its own updated.
  auto updated = empty_updated;
  if (!unique.empty()) {
    updated = unique.front()->article.date;
    for (const Entry* e : unique)
      updated = std::max({updated, e->article.date, e->article.updated.value_or(e->article.date)});
  }

  pugi::xml_document doc;
  add_declaration(doc);
  auto feed = doc.append_child("feed");
  feed.append_attribute("xmlns") = kAtomNs;
  add_text(feed, "id", feed_id(node));
  set_attr(add_text(feed, "title", node.title), "type", "text");
  add_text(feed, "updated", format_rfc3339(updated));
  const std::string base(base_url);
  add_web_link(feed, "self", "application/atom+xml", base + node.file);
  add_web_link(feed, "alternate", "text/html", base);
  set_attr(add_text(feed, "generator", "feedd"), "version", kVersion);
  // Every entry has its own author; this one keeps the feed valid if one ever does not.
  add_text(feed.append_child("author"), "name", "feedd");
  UrlMemo memo;
  for (const Entry* entry : unique)
    add_entry(feed, *entry, memo);
  return save(doc);
}

std::string render_opml(const std::vector<FeedNode>& nodes, std::string_view base_url) {
  pugi::xml_document doc;
  add_declaration(doc);
  auto opml = doc.append_child("opml");
  opml.append_attribute("version") = "2.0";
  add_text(opml.append_child("head"), "title", "feedd");
  auto body = opml.append_child("body");

  // Folders still open, innermost last, with the depth of their node: a node goes into the
  // innermost folder of a lesser depth, so irregular depths still nest sensibly.
  std::vector<std::pair<int, pugi::xml_node>> open;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const FeedNode& node = nodes[i];
    while (!open.empty() && open.back().first >= node.depth)
      open.pop_back();
    pugi::xml_node parent = open.empty() ? body : open.back().second;
    const bool has_children = i + 1 < nodes.size() && nodes[i + 1].depth > node.depth;
    // "all" stays a leaf: the top categories beside it are its children only in a sense no
    // reader needs.
    if (has_children && node.depth > 0) {
      auto folder = parent.append_child("outline");
      set_attr(folder, "text", node.title);
      open.emplace_back(node.depth, folder);
      parent = folder;
    }
    add_leaf(parent, node, base_url);
  }
  return save(doc);
}

}  // namespace legacy

namespace {

TEST(LegacyIdentity, XmlSafeText) {
  testing::HostileGen gen(7);
  for (int i = 0; i < 100000; ++i) {
    const std::string s = gen.text(30);
    ASSERT_EQ(xml_safe_text(s), legacy::legacy_safe_text(s)) << i;
  }
}

TEST(LegacyIdentity, RenderAtom) {
  testing::HostileGen gen(11);
  const std::chrono::sys_seconds empty{std::chrono::seconds{1621605600}};
  for (int i = 0; i < 3000; ++i) {
    const FeedNode node = gen.node();
    const auto entries = gen.entries();
    const std::string base = gen.base_url();
    ASSERT_EQ(render_atom(node, entries, base, empty),
              legacy::render_atom(node, entries, base, empty))
        << i;
  }
}

TEST(LegacyIdentity, RenderOpml) {
  testing::HostileGen gen(13);
  for (int i = 0; i < 2000; ++i) {
    const auto nodes = gen.nodes();
    const std::string base = gen.base_url();
    ASSERT_EQ(render_opml(nodes, base), legacy::render_opml(nodes, base)) << i;
  }
}

}  // namespace
}  // namespace feedd::emit
