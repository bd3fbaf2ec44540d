#pragma once
// The parse stage: bytes + base URL → Feed. Pure: no I/O, no clock, never throws on bad input.
// One parser per dialect (rss.cpp, atom.cpp), a charset/repair step in front of them.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::parse {

// Bounds of an item's metadata: upstream feeds are hostile, and every tag and enclosure ends up
// in a post's front-matter and in several Atom feeds. Tags and enclosures past the count are
// dropped; a longer tag or type is cut at a UTF-8 boundary; a longer enclosure URL is dropped.
inline constexpr std::size_t kMaxTags = 32;
inline constexpr std::size_t kMaxTagBytes = 128;
inline constexpr std::size_t kMaxEnclosures = 8;
inline constexpr std::size_t kMaxEnclosureUrlBytes = 4096;
inline constexpr std::size_t kMaxEnclosureTypeBytes = 128;

// An attached file: RSS <enclosure url length type>, Atom <link rel="enclosure">.
struct Enclosure {
  std::string url;                      // absolute (resolved like the item's link)
  std::string type;                     // MIME type as published (trimmed); "" when absent
  std::optional<std::uint64_t> length;  // bytes; nullopt when absent, 0 or not a number
  bool operator==(const Enclosure&) const = default;
};

struct FeedItem {
  // Plain text, never markup: RSS and Atom text titles as published (trimmed); Atom html
  // titles decoded and stripped of tags, xhtml ones reduced to their text, both on one line.
  std::string title;
  std::string link;          // absolute (resolved against xml:base / feed link / base URL)
  std::string guid;          // RSS guid / Atom id / RDF about, as published; "" when absent
  std::string author;        // dc:creator / author / atom:author/name; "" when absent
  std::string html;          // content:encoded > description (RSS); content > summary (Atom)
  std::string content_base;  // absolute base URL for relative URLs inside `html`
  std::optional<std::chrono::sys_seconds> published;  // pubDate/dc:date/published/issued
  std::optional<std::chrono::sys_seconds> updated;    // atom:updated/modified
  // Upstream categories: RSS <category> and dc:subject, Atom category (its label, else its
  // term). Trimmed, white space folded, empty and repeated ones dropped, in document order;
  // at most kMaxTags of at most kMaxTagBytes.
  std::vector<std::string> tags{};
  // In document order, repeated URLs dropped, at most kMaxEnclosures.
  std::vector<Enclosure> enclosures{};
};

enum class Dialect { kRss, kRdf, kAtom10, kAtom03 };

struct Feed {
  Dialect dialect = Dialect::kRss;
  std::string title;                        // plain text, as FeedItem::title
  std::string link;                         // the site (alternate) link, absolute
  std::string id;                           // atom:id, or the link for RSS
  std::optional<std::chrono::minutes> ttl;  // RSS <ttl>
  std::vector<FeedItem> items;              // in document order
  std::vector<std::string> warnings;  // recoverable problems: "truncated at byte N", charset...
};

struct Options {
  std::string base_url;      // where the bytes came from (effective URL after redirects)
  std::string content_type;  // HTTP Content-Type, used for its charset last
  std::string encoding;      // a charset label (feeds.yaml `encoding:`) that overrides detection
  std::string timezone = "Asia/Shanghai";  // for dates without a zone
  std::size_t max_items = 5000;            // items past this are dropped with a warning
  std::size_t max_field = 1u << 20;        // longer titles/links are cut, longer bodies too
};

struct Result {
  std::optional<Feed> feed;  // set on success, also for a salvaged truncated document
  std::string error;         // when !feed: "not a feed: HTML page", "XML error at byte N: ..."
};

Result parse_feed(std::string_view body, const Options& options);

}  // namespace feedd::parse
