#include "emit/emit.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "lib/curl/url.hpp"
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

// Only URLs a reader can follow without harm: no javascript:, data:, or strings with spaces
// (IRIs carry none, RFC 4287 §3).
bool linkable(std::string_view url) {
  return !url.empty() && lib::is_fetchable_url(url);
}

std::string feed_id(const FeedNode& node) {
  return node.path.empty() ? "urn:feedd:feed:all" : "urn:feedd:feed:" + node.path;
}

std::string last_segment(std::string_view title) {
  const auto at = title.rfind(kTitleSeparator);
  if (at == std::string_view::npos) return std::string(title);
  return std::string(title.substr(at + kTitleSeparator.size()));
}

void add_entry(pugi::xml_node feed, const Entry& entry) {
  const article::Article& a = entry.article;
  const std::string date = format_rfc3339(a.date);
  auto e = feed.append_child("entry");
  add_text(e, "id", "urn:feedd:article:" + a.hash);
  set_attr(add_text(e, "title", a.title), "type", "text");
  if (linkable(a.link)) add_link(e, "alternate", "text/html", a.link);
  add_text(e, "published", date);
  add_text(e, "updated", date);
  if (!a.author.empty()) add_text(e.append_child("author"), "name", a.author);
  for (const auto& name : a.categories) {
    auto category = e.append_child("category");
    set_attr(category, "term", name);
    set_attr(category, "label", name);
  }
  const std::string summary = a.summary ? *a.summary : article::html_to_text(a.html, kSummaryBytes);
  if (!summary.empty()) set_attr(add_text(e, "summary", summary), "type", "text");
  // Always present, even empty: with no link it is what satisfies RFC 4287 §4.1.2.
  set_attr(add_text(e, "content", a.html), "type", "html");

  const UpstreamInfo& up = entry.source;
  if (up.title.empty() && up.id.empty()) return;
  auto source = e.append_child("source");
  if (!up.id.empty()) add_text(source, "id", up.id);
  if (!up.title.empty()) add_text(source, "title", up.title);
  if (linkable(up.link)) add_link(source, "alternate", "", up.link);
  add_text(source, "updated", date);
}

}  // namespace

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
  auto updated = empty_updated;
  if (!unique.empty()) {
    updated = (*std::max_element(unique.begin(), unique.end(), [](const Entry* l, const Entry* r) {
                return l->article.date < r->article.date;
              }))->article.date;
  }

  pugi::xml_document doc;
  add_declaration(doc);
  auto feed = doc.append_child("feed");
  feed.append_attribute("xmlns") = kAtomNs;
  add_text(feed, "id", feed_id(node));
  set_attr(add_text(feed, "title", node.title), "type", "text");
  add_text(feed, "updated", format_rfc3339(updated));
  const std::string base(base_url);
  add_link(feed, "self", "application/atom+xml", base + node.file);
  add_link(feed, "alternate", "text/html", base);
  set_attr(add_text(feed, "generator", "feedd"), "version", kVersion);
  // Every entry has its own author; this one keeps the feed valid if one ever does not.
  add_text(feed.append_child("author"), "name", "feedd");
  for (const Entry* entry : unique)
    add_entry(feed, *entry);
  return save(doc);
}

std::string render_opml(const std::vector<FeedNode>& nodes, std::string_view base_url) {
  pugi::xml_document doc;
  add_declaration(doc);
  auto opml = doc.append_child("opml");
  opml.append_attribute("version") = "2.0";
  add_text(opml.append_child("head"), "title", "feedd");
  auto body = opml.append_child("body");

  // open[i] is the latest outline at level i + 1 (1 = directly in <body>). "all" (depth 0) and
  // the top categories (depth 1) sit in <body>; a node deeper than the outlines open so far
  // allow is attached to the deepest one rather than dropped.
  std::vector<pugi::xml_node> open;
  const std::string base(base_url);
  for (const auto& node : nodes) {
    pugi::xml_node parent = body;
    std::size_t level = 1;
    if (node.depth >= 2 && !open.empty()) {
      level = std::min(static_cast<std::size_t>(node.depth - 1), open.size());
      parent = open[level - 1];
      ++level;
    }
    auto outline = parent.append_child("outline");
    const std::string name = last_segment(node.title);
    set_attr(outline, "text", name);
    set_attr(outline, "title", name);
    set_attr(outline, "type", "rss");
    set_attr(outline, "xmlUrl", base + node.file);
    if (node.depth >= 1) {
      open.resize(level);
      open.back() = outline;
    }
  }
  return save(doc);
}

}  // namespace feedd::emit
