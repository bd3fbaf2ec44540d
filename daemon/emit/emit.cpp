#include "emit/emit.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "emit/xml_writer.hpp"
#include "lib/curl/url.hpp"
#include "util/ascii.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace feedd::emit {
namespace {

constexpr std::string_view kAtomNs = "http://www.w3.org/2005/Atom";
constexpr std::string_view kTitleSeparator = " › ";

// Every string reaches the document through XmlWriter, which writes it under xml_safe_text's
// rules and escapes it, so nothing upstream sent can make a feed ill-formed.

// `<link rel type href />`, type left out when "".
void add_link(XmlWriter& w, std::string_view rel, std::string_view type, std::string_view href) {
  w.start("link");
  w.attribute("rel", rel);
  if (!type.empty()) w.attribute("type", type);
  w.attribute("href", href);
  w.end();
}

// Writes a link only when its URL passes the URL contract (lib::web_url).
void add_web_link(XmlWriter& w, std::string_view rel, std::string_view type, std::string_view url) {
  if (auto href = lib::web_url(url)) add_link(w, rel, type, *href);
}

// An element with one attribute and text: `<name attr="value">text</name>`.
void add_text(XmlWriter& w, std::string_view name, std::string_view attr, std::string_view value,
              std::string_view text) {
  w.start(name);
  w.attribute(attr, value);
  w.text(text);
  w.end();
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

// format_rfc3339 without a stream (date::format builds one per call): "YYYY-MM-DDTHH:MM:SSZ"
// from std::chrono's civil calendar for the years 1000–9999, format_rfc3339 itself outside them.
class Rfc3339 {
 public:
  explicit Rfc3339(std::chrono::sys_seconds t) {
    using namespace std::chrono;
    static constexpr sys_seconds kFirst{sys_days{year{1000} / 1 / 1}};
    static constexpr sys_seconds kEnd{sys_days{year{10000} / 1 / 1}};
    if (t < kFirst || t >= kEnd) {
      const std::string s = format_rfc3339(t);
      size_ = std::min(s.size(), sizeof buf_);
      std::copy_n(s.data(), size_, buf_);
      return;
    }
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    char* p = buf_;
    const auto put = [&p](unsigned value, int digits) {
      for (int i = digits - 1; i >= 0; --i, value /= 10)
        p[i] = static_cast<char>('0' + value % 10);
      p += digits;
    };
    put(static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
    *p++ = '-';
    put(static_cast<unsigned>(ymd.month()), 2);
    *p++ = '-';
    put(static_cast<unsigned>(ymd.day()), 2);
    *p++ = 'T';
    put(static_cast<unsigned>(hms.hours().count()), 2);
    *p++ = ':';
    put(static_cast<unsigned>(hms.minutes().count()), 2);
    *p++ = ':';
    put(static_cast<unsigned>(hms.seconds().count()), 2);
    *p++ = 'Z';
    size_ = static_cast<std::size_t>(p - buf_);
  }
  std::string_view str() const { return {buf_, size_}; }

 private:
  char buf_[32]{};
  std::size_t size_ = 0;
};

void add_entry(XmlWriter& w, const Entry& entry, UrlMemo& memo) {
  const article::Article& a = entry.article;
  const Rfc3339 date(a.date);
  w.start("entry");
  w.start("id");
  w.text("urn:feedd:article:");
  w.text(a.hash);
  w.end();
  add_text(w, "title", "type", "text", a.title);
  const auto link = lib::web_url(a.link);
  if (link) add_link(w, "alternate", "text/html", *link);
  w.element("published", date.str());
  // An article rewritten under `updates: true` says when; otherwise it never changed.
  if (a.updated && *a.updated > a.date) {
    w.element("updated", Rfc3339(*a.updated).str());
  } else {
    w.element("updated", date.str());
  }
  // The upstream author when the item named one, else the source, as in the post's author:.
  const std::string& author = blank(a.creator) ? a.author : a.creator;
  if (!author.empty()) {
    w.start("author");
    w.element("name", author);
    w.end();
  }
  for (const auto& name : a.categories) {
    w.start("category");
    w.attribute("term", name);
    w.attribute("label", name);
    w.end();
  }
  // Upstream categories carry a scheme, so a reader can tell them from feedd's levels above.
  for (const auto& tag : a.tags) {
    if (blank(tag)) continue;
    w.start("category");
    w.attribute("term", tag);
    w.attribute("scheme", kTagScheme);
    w.attribute("label", tag);
    w.end();
  }
  for (const auto& enclosure : a.enclosures) {
    const auto& href = memo.web_url(enclosure.url);
    if (!href) continue;
    w.start("link");
    w.attribute("rel", "enclosure");
    if (article::is_mime_type(enclosure.type)) w.attribute("type", enclosure.type);
    w.attribute("href", *href);
    if (enclosure.length) w.attribute("length", std::to_string(*enclosure.length));
    w.end();
  }
  if (!blank(a.html)) {
    std::string made;  // the summary the store lacked
    if (!a.summary) made = article::html_to_text(a.html, kSummaryBytes);
    const std::string_view summary = a.summary ? std::string_view(*a.summary) : made;
    if (!blank(summary)) add_text(w, "summary", "type", "text", summary);
    add_text(w, "content", "type", "html", a.html);
  } else {
    // No body: the title is all the text the entry has. Written where it keeps the entry
    // valid and readers' item views non-blank (see render_atom).
    add_text(w, link ? "summary" : "content", "type", "text", a.title);
  }

  const UpstreamInfo& up = entry.source;
  const std::string& title = blank(up.title) ? up.channel : up.title;
  if (!blank(title)) {
    w.start("source");
    const auto& id = memo.source_id(up.id);
    const auto& fallback = memo.source_id(up.feed_url);
    if (id || fallback) w.element("id", id ? *id : *fallback);
    w.element("title", title);
    if (const auto& source_link = memo.web_url(up.link)) add_link(w, "alternate", "", *source_link);
    w.element("updated", date.str());
    w.end();
  }
  w.end();
}

// What an entry adds to the document, about: its strings, a quarter more for the references
// in its HTML, and the markup around them. Only sizes the first allocation.
std::size_t expected_size(const Entry& entry) {
  const article::Article& a = entry.article;
  std::size_t n = 1024 + 2 * a.title.size() + a.html.size() + a.html.size() / 4 + a.link.size() +
                  (a.summary ? a.summary->size() : kSummaryBytes) + entry.source.title.size() +
                  entry.source.link.size() + entry.source.channel.size();
  for (const auto& c : a.categories)
    n += 40 + 2 * c.size();
  for (const auto& t : a.tags)
    n += 64 + 2 * t.size();
  for (const auto& e : a.enclosures)
    n += 64 + e.url.size() + e.type.size();
  return n;
}

// Appends the leaf outline of `node`'s feed; none when its URL fails the contract. `html_url`
// is lib::web_url(base).
void add_leaf(XmlWriter& w, const FeedNode& node, std::string_view base,
              const std::optional<std::string>& html_url) {
  std::string b(base);
  b += node.file;
  const auto xml_url = lib::web_url(b);
  if (!xml_url) return;
  w.start("outline");
  w.attribute("text", node.title);
  w.attribute("title", node.title);
  w.attribute("type", "rss");
  w.attribute("xmlUrl", *xml_url);
  if (html_url) w.attribute("htmlUrl", *html_url);
  w.end();
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

  std::size_t size = 2048;
  for (const Entry* e : unique)
    size += expected_size(*e);
  XmlWriter w(size);
  w.declaration();
  w.start("feed");
  w.attribute("xmlns", kAtomNs);
  w.element("id", feed_id(node));
  add_text(w, "title", "type", "text", node.title);
  w.element("updated", Rfc3339(updated).str());
  const std::string base(base_url);
  add_web_link(w, "self", "application/atom+xml", base + node.file);
  add_web_link(w, "alternate", "text/html", base);
  add_text(w, "generator", "version", kVersion, "feedd");
  // Every entry has its own author; this one keeps the feed valid if one ever does not.
  w.start("author");
  w.element("name", "feedd");
  w.end();
  UrlMemo memo;
  for (const Entry* entry : unique)
    add_entry(w, *entry, memo);
  w.end();
  return w.take();
}

std::string render_opml(const std::vector<FeedNode>& nodes, std::string_view base_url) {
  std::size_t size = 512;
  for (const auto& node : nodes)
    size += 160 + 3 * node.title.size() + node.file.size() + 2 * base_url.size();
  XmlWriter w(size);
  w.declaration();
  w.start("opml");
  w.attribute("version", "2.0");
  w.start("head");
  w.element("title", "feedd");
  w.end();
  w.start("body");
  const auto html_url = lib::web_url(base_url);

  // The depths of the folders still open, innermost last: a node goes into the innermost
  // folder of a lesser depth, so irregular depths still nest sensibly.
  std::vector<int> open;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const FeedNode& node = nodes[i];
    while (!open.empty() && open.back() >= node.depth) {
      open.pop_back();
      w.end();
    }
    const bool has_children = i + 1 < nodes.size() && nodes[i + 1].depth > node.depth;
    // "all" stays a leaf: the top categories beside it are its children only in a sense no
    // reader needs.
    if (has_children && node.depth > 0) {
      w.start("outline");
      w.attribute("text", node.title);
      open.push_back(node.depth);
    }
    add_leaf(w, node, base_url, html_url);
  }
  for (std::size_t i = 0; i < open.size(); ++i)
    w.end();
  w.end();  // body
  w.end();  // opml
  return w.take();
}

}  // namespace feedd::emit
