#include "emit/emit.hpp"

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

#include "lib/curl/url.hpp"
#include "util/ascii.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace feedd::emit {
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
  node.append_attribute(name) = xml_safe_text(value).c_str();
}

pugi::xml_node add_text(pugi::xml_node parent, const char* name, std::string_view text) {
  auto node = parent.append_child(name);
  node.text() = xml_safe_text(text).c_str();
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

// A percent-encoding "%XX" at s[i]?
bool is_escape(std::string_view s, std::size_t i) {
  return i + 2 < s.size() && s[i] == '%' && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
         std::isxdigit(static_cast<unsigned char>(s[i + 2]));
}

// RFC 2141: "urn:" NID ":" NSS; NID 1-32 letters, digits and '-' starting with a letter or
// digit; NSS of <trans> characters and escapes.
bool is_urn(std::string_view s) {
  s.remove_prefix(4);  // "urn:", checked by the caller
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 32 || !is_alnum(s[0])) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    if (!is_alnum(s[i]) && s[i] != '-') return false;
  }
  const std::string_view nss = s.substr(colon + 1);
  if (nss.empty()) return false;
  for (std::size_t i = 0; i < nss.size(); ++i) {
    if (is_escape(nss, i)) {
      i += 2;
    } else if (!is_urn_char(nss[i])) {
      return false;
    }
  }
  return true;
}

// RFC 4151: "tag:" authority "," date ":" specific; the authority a DNS name or an e-mail
// address, the date YYYY, YYYY-MM or YYYY-MM-DD.
bool is_tag(std::string_view s) {
  s.remove_prefix(4);  // "tag:"
  const auto comma = s.find(',');
  if (comma == std::string_view::npos) return false;
  const std::string_view authority = s.substr(0, comma);
  const auto at = authority.find('@');
  if (at != authority.rfind('@') || authority.empty() || authority.back() == '@') return false;
  for (std::size_t i = 0; i < authority.size(); ++i) {
    const char c = authority[i];
    const bool mailbox = at != std::string_view::npos && i < at;
    if (!(is_alnum(c) || c == '-' || c == '.' || i == at || (mailbox && c == '_'))) return false;
  }
  const std::string_view rest = s.substr(comma + 1);
  const std::string_view date = rest.substr(0, rest.find(':'));
  if (date.size() == rest.size()) return false;  // no ':' after the date
  static constexpr std::string_view kShapes[] = {"dddd", "dddd-dd", "dddd-dd-dd"};
  return std::any_of(std::begin(kShapes), std::end(kShapes), [&](std::string_view shape) {
    if (shape.size() != date.size()) return false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 'd' ? !is_digit(date[i]) : date[i] != shape[i]) return false;
    }
    return true;
  });
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

std::optional<std::string> source_id(std::string_view id) {
  // RFC 3986 scheme ":" and something after it.
  const auto colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == id.size() || !is_alpha(id[0]))
    return std::nullopt;
  const std::string scheme = ascii_lower(id.substr(0, colon));
  for (const char c : scheme) {
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  }
  if (scheme == "http" || scheme == "https") return lib::web_url(id);
  if (scheme == "javascript" || scheme == "vbscript" || scheme == "data") return std::nullopt;
  // RFC 3986's characters only: unreserved, reserved and '%' of an escape; not '[' and ']',
  // which only an IP-literal host may hold and the W3C Feed Validator refuses.
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (c == '%') {
      if (!is_escape(id, i)) return std::nullopt;
      continue;
    }
    if (!is_alnum(c) && std::string_view("-._~:/?#@!$&'()*+,;=").find(c) == std::string_view::npos)
      return std::nullopt;
  }
  if (scheme == "urn" && !is_urn(id)) return std::nullopt;
  if (scheme == "tag" && !is_tag(id)) return std::nullopt;
  return std::string(id);
}

std::vector<FeedNode> feed_nodes(const config::Config& config) {
  std::vector<FeedNode> nodes;
  nodes.push_back({"", "feedd", "feeds/all.xml", "", 0});
  const std::string sep(kTitleSeparator);
  for (const auto& top : config.categories) {
    nodes.push_back({top.slug, top.name, "feeds/" + top.slug + ".xml", "", 1});
    for (const auto& source : top.sources) {
      const std::string source_path = top.slug + "/" + source.slug;
      const std::string source_title = top.name + sep + source.name;
      nodes.push_back({source_path, source_title, "feeds/" + source_path + ".xml", "", 2});
      for (const auto& channel : source.channels) {
        const std::string path = source_path + "/" + channel.slug;
        nodes.push_back({path, source_title + sep + channel.name, "feeds/" + path + ".xml",
                         lib::redact_url(channel.url), 3});
      }
    }
  }
  return nodes;
}

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

}  // namespace feedd::emit
