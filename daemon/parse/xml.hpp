#pragma once
// Shared machinery of the dialect parsers (rss.cpp, atom.cpp): namespace and xml:base scopes,
// text extraction, HTML serialisation of embedded XHTML, bounds. Internal to the parse stage.
// Everything here is pure and thread-safe; nothing throws except std::bad_alloc.
#include <pugixml.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parse/feed.hpp"

namespace feedd::parse::detail {

namespace ns {
inline constexpr std::string_view kNone;
inline constexpr std::string_view kXml = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view kAtom10 = "http://www.w3.org/2005/Atom";
inline constexpr std::string_view kAtom03 = "http://purl.org/atom/ns#";
inline constexpr std::string_view kRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr std::string_view kRss10 = "http://purl.org/rss/1.0/";
inline constexpr std::string_view kRss090 = "http://my.netscape.com/rdf/simple/0.9/";
inline constexpr std::string_view kRss20 = "http://backend.userland.com/rss2";
inline constexpr std::string_view kContent = "http://purl.org/rss/1.0/modules/content/";
inline constexpr std::string_view kDc = "http://purl.org/dc/elements/1.1/";
inline constexpr std::string_view kDcTerms = "http://purl.org/dc/terms/";
inline constexpr std::string_view kXhtml = "http://www.w3.org/1999/xhtml";
}  // namespace ns

// The in-scope namespace bindings and xml:base of one element. Scopes are values: `enter`
// returns the scope of a child. Views point into the pugixml document, which must outlive them.
// A scope shares its bindings and base with the scope it was entered from until it changes
// them, so entering an element that declares nothing allocates nothing. Copies may be used on
// different threads (the shared parts are immutable), one scope object on one thread at a time.
class Scope {
 public:
  // The scope outside the document element; `fallback_base` is the base used while no xml:base
  // is in scope.
  explicit Scope(std::string fallback_base)
      : base_(std::make_shared<const std::string>(std::move(fallback_base))) {}

  // The scope of `el` itself: its xmlns declarations and its xml:base (resolved against this
  // scope's base) applied. Use it to read `el`'s own name and attributes.
  Scope enter(pugi::xml_node el) const;

  // Namespace URI of `el` (an element whose scope this is), matched by URI, never by prefix.
  std::string_view uri(pugi::xml_node el) const;
  bool is(pugi::xml_node el, std::string_view uri, std::string_view local) const;

  // The attribute of `el` (whose scope this is) named `local` in namespace `uri`; an empty
  // `uri` means an unprefixed attribute.
  pugi::xml_attribute attribute(pugi::xml_node el, std::string_view uri,
                                std::string_view local) const;

  // The base URL in effect: the innermost xml:base, else the fallback.
  const std::string& base() const { return *base_; }
  bool has_xml_base() const { return explicit_base_; }
  // Replaces the fallback base (no effect while an xml:base is in scope).
  void set_fallback(std::string base) {
    if (!explicit_base_) base_ = std::make_shared<const std::string>(std::move(base));
  }

 private:
  using Bindings = std::vector<std::pair<std::string_view, std::string_view>>;
  std::string_view lookup(std::string_view prefix) const;

  std::shared_ptr<const Bindings> bindings_;  // later ones win; null: none
  std::shared_ptr<const std::string> base_;   // never null
  bool explicit_base_ = false;
};

// The part of a qualified name after the colon.
std::string_view local_name(pugi::xml_node el);

// Text of `el`: all descendant text and CDATA in document order, stopping once past `max`
// bytes, trimmed of surrounding white space.
std::string text(pugi::xml_node el, std::size_t max);

// The children of `el` as HTML: element names without prefixes, xmlns attributes dropped,
// void elements without end tags, text escaped. Stops once past `max` bytes. Iterative.
std::string inner_html(pugi::xml_node el, std::size_t max);

// `s` without surrounding ASCII white space.
std::string text_trimmed(std::string_view s);

// `s` with &, <, > and " escaped, for text that is to be read as HTML.
std::string escape_html(std::string_view s);

// `ref` resolved against `base` with lib::resolve_url; `ref` itself (trimmed) when it cannot be
// resolved (no usable base); "" for an empty ref.
std::string absolute(std::string_view base, std::string_view ref);

// True when `s` is an absolute http(s)/file URL.
bool is_absolute_url(std::string_view s);

// Parser state shared by the dialects: options, the feed being built, bounds and the elements
// a truncated document left unfinished.
class Context {
 public:
  Context(const Options& options, Feed& feed, std::vector<pugi::xml_node> unfinished)
      : options_(options), feed_(feed), unfinished_(std::move(unfinished)) {}

  const Options& options() const { return options_; }
  Feed& feed() { return feed_; }

  // Whether another item may be added; counts the ones that may not.
  bool room_for_item();
  // False for an item the document was cut off inside (it is counted and skipped).
  bool complete(pugi::xml_node item);
  // `s` cut to max_field bytes at a UTF-8 boundary (counted).
  std::string bound(std::string s);
  std::size_t text_max() const { return options_.max_field + 1; }
  // Adds `tag` (trimmed, white space runs folded to one space, cut to kMaxTagBytes) to
  // item.tags unless it is empty, already there, or the item has kMaxTags.
  static void add_tag(FeedItem& item, std::string_view tag);
  // Adds an enclosure whose `url` is already absolute; `length` and `type` as published.
  // Skipped when the URL is empty, too long or already there, or the item has kMaxEnclosures.
  static void add_enclosure(FeedItem& item, std::string url, std::string_view type,
                            std::string_view length);
  // Appends a finished item to the feed, its title, link, guid, author and html each bound.
  // The caller has checked room_for_item and complete.
  void add_item(FeedItem item);

  // Adds the bound warnings to the feed.
  void finish();

 private:
  const Options& options_;
  Feed& feed_;
  std::vector<pugi::xml_node> unfinished_;
  std::size_t dropped_items_ = 0;
  std::size_t incomplete_items_ = 0;
  std::size_t cut_fields_ = 0;
};

// The base for relative URLs in an item's content: an xml:base in scope of the content
// element, else the item's own link (the page the HTML was published on), else the scope's
// fallback (feed link, then the fetched URL).
std::string content_base(const Scope& content_scope, const std::string& item_link);

// Dialect parsers: fill ctx.feed() from the document element `root` (whose scope is `scope`).
void parse_rss(pugi::xml_node root, const Scope& scope, Context& ctx);
void parse_rdf(pugi::xml_node root, const Scope& scope, Context& ctx);
void parse_atom(pugi::xml_node root, const Scope& scope, Context& ctx);

}  // namespace feedd::parse::detail
