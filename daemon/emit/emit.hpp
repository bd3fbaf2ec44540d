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
  std::string title;
  std::string link;  // the upstream site or feed URL
  std::string id;    // the upstream feed's id or URL
};

struct Entry {
  article::Article article;
  UpstreamInfo source;  // empty title+id = no atom:source (imported articles)
};

using article::kSummaryBytes;

// An Atom 1.0 document for `node`. `entries` newest first (as given). `base_url` ends with
// '/'; the self link is base_url + node.file. Feed `updated` = newest entry date, or
// `empty_updated` when there are no entries. An entry whose hash already appeared earlier in
// `entries` is left out; a link that is not an absolute http, https or file URL is left out.
std::string render_atom(const FeedNode& node, const std::vector<Entry>& entries,
                        std::string_view base_url, std::chrono::sys_seconds empty_updated);

// OPML 2.0 listing every node's feed (xmlUrl = base_url + file), nested like the tree.
std::string render_opml(const std::vector<FeedNode>& nodes, std::string_view base_url);

// `text` made safe for an XML 1.0 document: each malformed UTF-8 sequence (overlong forms and
// encoded surrogates included) becomes U+FFFD, and code points outside the XML 1.0 Char
// production (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) are dropped. render_atom and
// render_opml pass every string through it, so hostile upstream text cannot make a feed ill-formed.
// Never throws but std::bad_alloc.
std::string xml_safe_text(std::string_view text);

}  // namespace feedd::emit
