#pragma once
// The emit stage: store contents → Atom feeds (RFC 4287) and OPML 2.0, as strings.
// Pure: the app writes them to disk. Deterministic: the same input gives the same bytes, so
// an unchanged feed is never rewritten.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "article/article.hpp"
#include "config/config.hpp"

namespace feedd::emit {

// One emitted feed: the whole tree, a top category, a source or a channel.
struct FeedNode {
  std::string path;  // "" (all), "xinmeiti", "xinmeiti/zaker", "xinmeiti/zaker/source"
  std::string title;  // "feedd", "新媒体", "新媒体 › ZAKER", "新媒体 › ZAKER › source"
  std::string file;          // relative to <output>: "feeds/all.xml", "feeds/xinmeiti.xml", ...
  std::string upstream_url;  // channel nodes: the configured feed URL, redacted; else ""
  int depth = 0;             // 0 all, 1 top, 2 source, 3 channel
};

// "all" first, then every node depth-first in feeds.yaml order.
std::vector<FeedNode> feed_nodes(const config::Config& config);

// What atom:source says about the upstream feed an entry came from. Its atom:updated is the
// entry's own date: the upstream feed changed no earlier than that, and this struct carries no
// date of its own.
struct UpstreamInfo {
  std::string title;     // the upstream feed's title, as text; "" when it has none
  std::string link;      // the upstream site (or feed) URL
  std::string id;        // the upstream feed's own id, any URI; "" when unknown
  std::string feed_url;  // the channel's configured feed URL: the id when `id` is unusable
  std::string channel;   // the channel's display path ("新媒体 › ZAKER › source"): the title
                         // when the upstream feed has none
};

struct Entry {
  article::Article article;
  UpstreamInfo source;  // no title and no channel = no atom:source (imported articles)
};

using article::kSummaryBytes;

// The scheme of the atom:category elements that carry an article's upstream tags; feedd's own
// levels (top, source, channel) have none.
inline constexpr std::string_view kTagScheme = "urn:feedd:tag";

// An Atom 1.0 document (RFC 4287) for `node`, valid for the W3C Feed Validator.
// - Feed: id `urn:feedd:feed:all` or `urn:feedd:feed:` + the node's path with ':' for '/'
//   (RFC 2141 reserves '/'); `updated` = the newest entry's date, or `empty_updated` when there
//   are no entries (the caller's record of when the feed was first written, never the epoch);
//   self link base_url + node.file and alternate link base_url, each only if it passes
//   lib::web_url. `entries` newest first (as given); an entry whose hash already appeared
//   earlier in `entries` is left out.
// - Entry: id `urn:feedd:article:<hash>`, text title, alternate link only if it passes
//   lib::web_url. Its HTML as content type="html" and its summary as text; when the HTML is
//   blank neither is empty: the title is the entry's text, written as its summary when it has a
//   link (RFC 4287 §4.1.1: the link stands for the content) and else as content type="text"
//   (§4.1.1 requires content or an alternate link). Author: the article's creator (the
//   upstream author), else its author (the source). One category per level (no scheme), then
//   one per upstream tag (scheme kTagScheme); one link rel="enclosure" (type and length when
//   known) per enclosure whose URL passes lib::web_url.
// - atom:source: only with a title (the upstream's, else the channel's display path); id the
//   upstream's when it is a usable URI, else the channel's feed URL (see `source_id`); link only
//   if it passes lib::web_url.
std::string render_atom(const FeedNode& node, const std::vector<Entry>& entries,
                        std::string_view base_url, std::chrono::sys_seconds empty_updated);

// OPML 2.0 listing every node's feed. "all" (depth 0) is a leaf in <body>; a node with children
// is a folder outline (`text` only, the node's full path, so that readers with one flat level
// of categories keep them apart; no xmlUrl, no type) holding its own feed as a leaf, then its
// children; a node without children is a leaf. Leaves carry text and title (the node's full
// path, "新媒体 › ZAKER › source"), type="rss", xmlUrl (base_url + file) and htmlUrl (base_url),
// each URL through lib::web_url; a leaf whose xmlUrl fails is left out. So a reader that stops
// at the first outline with an xmlUrl (Miniflux, FreshRSS) still finds every feed.
std::string render_opml(const std::vector<FeedNode>& nodes, std::string_view base_url);

// The id an atom:source may carry, or nullopt. An http(s) URL goes through lib::web_url; any
// other absolute URI is kept as it is when it is ASCII without spaces or controls and, for
// `urn:` and `tag:`, has the shape of RFC 2141 and RFC 4151 (so the W3C Feed Validator accepts
// it). Scripting schemes (javascript:, vbscript:, data:) are refused: some readers follow ids.
std::optional<std::string> source_id(std::string_view id);

// `text` made safe for an XML 1.0 document: each malformed UTF-8 sequence (overlong forms and
// encoded surrogates included) becomes U+FFFD, and code points outside the XML 1.0 Char
// production (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) are dropped. render_atom and
// render_opml write every string under these rules (xml_writer.hpp's appenders sanitise and
// escape in one pass), so hostile upstream text cannot make a feed ill-formed. Valid input costs
// one scan and one copy. Never throws but std::bad_alloc.
std::string xml_safe_text(std::string_view text);

}  // namespace feedd::emit
