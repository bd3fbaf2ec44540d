#include "parse/feed.hpp"

#include <pugixml.hpp>

#include <algorithm>

#include "parse/prepare.hpp"
#include "parse/xml.hpp"
#include "util/ascii.hpp"

namespace feedd::parse {
namespace {

// Text and CDATA with white-space-only runs kept (they matter inside inline XHTML); no
// DOCTYPE, comments or PIs (the repair step drops them anyway, and DTD entities must never be
// expanded); XML's own and numeric references decoded.
constexpr unsigned kParseOptions =
    (pugi::parse_default | pugi::parse_ws_pcdata) &
    ~(pugi::parse_doctype | pugi::parse_comments | pugi::parse_pi | pugi::parse_declaration);

// The elements still open where the document stopped: the last element child at every level,
// `depth` of them from the document element down (all of them when depth is unknown).
std::vector<pugi::xml_node> rightmost_path(const pugi::xml_document& doc, std::size_t depth) {
  std::vector<pugi::xml_node> path;
  pugi::xml_node n = doc.document_element();
  while (n && path.size() < depth) {
    path.push_back(n);
    pugi::xml_node last;
    for (pugi::xml_node c = n.last_child(); c; c = c.previous_sibling()) {
      if (c.type() == pugi::node_element) {
        last = c;
        break;
      }
    }
    n = last;
  }
  return path;
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

Result parse_feed(std::string_view body, const Options& options) {
  Prepared prepared = prepare(body, options.content_type, options.encoding);
  if (!prepared.error.empty()) return {std::nullopt, prepared.error};

  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer_inplace(
      prepared.xml.data(), prepared.xml.size(), kParseOptions, pugi::encoding_utf8);
  const pugi::xml_node root = doc.document_element();
  const std::string xml_error =
      parsed ? std::string()
             : "XML error at byte " + std::to_string(parsed.offset) + ": " + parsed.description();
  if (!root) return {std::nullopt, "not a feed: no root element"};

  // pugixml keeps what it read before an error; then anything on the rightmost path may be
  // unfinished. After a repaired cut-off we know exactly how many elements were left open.
  const std::size_t open = parsed ? prepared.open_at_end : static_cast<std::size_t>(-1);
  Feed feed;
  detail::Context ctx(options, feed, rightmost_path(doc, open));
  const detail::Scope scope = detail::Scope(options.base_url).enter(root);
  const std::string_view uri = scope.uri(root);
  const std::string_view name = detail::local_name(root);
  if (name == "rss" && (uri.empty() || uri == detail::ns::kRss20)) {
    detail::parse_rss(root, scope, ctx);
  } else if (name == "RDF" && uri == detail::ns::kRdf) {
    detail::parse_rdf(root, scope, ctx);
  } else if (name == "feed" && (uri == detail::ns::kAtom10 || uri == detail::ns::kAtom03)) {
    detail::parse_atom(root, scope, ctx);
  } else if (ascii_iequals(name, "html")) {
    return {std::nullopt, "not a feed: HTML page"};
  } else if (!parsed) {
    return {std::nullopt, xml_error};
  } else {
    return {std::nullopt, "not a feed: root element <" + std::string(root.name()) + ">"};
  }
  ctx.finish();

  if (!parsed && feed.items.empty() && feed.title.empty()) return {std::nullopt, xml_error};
  std::vector<std::string> warnings = std::move(prepared.warnings);
  if (!parsed) warnings.push_back(xml_error + "; kept " + plural(feed.items.size(), "item"));
  if (prepared.truncated) {
    warnings.push_back("truncated at byte " + std::to_string(prepared.truncated_at) + "; kept " +
                       plural(feed.items.size(), "complete item"));
  }
  warnings.insert(warnings.end(), feed.warnings.begin(), feed.warnings.end());
  feed.warnings = std::move(warnings);
  return {std::move(feed), {}};
}

}  // namespace feedd::parse
