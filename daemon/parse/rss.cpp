// RSS 0.9x/2.0 (<rss><channel><item>) and RSS 1.0 / 0.90 (<rdf:RDF><channel/><item/>).
#include <charconv>

#include "parse/date.hpp"
#include "parse/xml.hpp"
#include "util/ascii.hpp"

namespace feedd::parse::detail {
namespace {

// The item/channel vocabulary lives in `rss_ns`: no namespace for RSS 2.0, the RSS 1.0 or 0.90
// URI for RDF feeds.
struct Vocabulary {
  std::string_view rss_ns;
  bool rdf = false;
};

// The body an element carries: escaped or CDATA HTML as text, or (in broken feeds) literal
// XHTML children serialised.
std::string body_of(pugi::xml_node el, std::size_t max) {
  for (const auto child : el.children()) {
    if (child.type() == pugi::node_element) return inner_html(el, max);
  }
  return text(el, max);
}

bool is_false(std::string_view s) {
  return ascii_iequals(text_trimmed(s), "false");
}

void set_date(std::optional<std::chrono::sys_seconds>& slot, pugi::xml_node el,
              const Context& ctx) {
  if (slot) return;
  slot = parse_date(text(el, 256), ctx.options().timezone);
}

void parse_item(pugi::xml_node item, const Scope& scope, const Vocabulary& v, Context& ctx) {
  const std::size_t max = ctx.text_max();
  FeedItem out;
  std::string link_text, guid_text, encoded, description, creator, author;
  Scope link_scope = scope, guid_scope = scope, encoded_scope = scope, description_scope = scope;
  bool guid_is_permalink = true;
  for (const auto child : item.children()) {
    if (child.type() != pugi::node_element) continue;
    const Scope s = scope.enter(child);
    const std::string_view uri = s.uri(child);
    const std::string_view name = local_name(child);
    if (uri == v.rss_ns) {
      if (name == "title" && out.title.empty()) {
        out.title = text(child, max);
      } else if (name == "link" && link_text.empty()) {
        link_text = text(child, max);
        link_scope = s;
      } else if (name == "guid" && guid_text.empty()) {
        guid_text = text(child, max);
        guid_scope = s;
        guid_is_permalink = !is_false(s.attribute(child, ns::kNone, "isPermaLink").value());
      } else if (name == "description" && description.empty()) {
        description = body_of(child, max);
        description_scope = s;
      } else if (name == "author" && author.empty()) {
        author = text(child, max);
      } else if (name == "pubDate") {
        set_date(out.published, child, ctx);
      } else if (name == "category") {
        Context::add_tag(out, text(child, kMaxTagBytes * 4));
      } else if (name == "enclosure") {
        Context::add_enclosure(out,
                               absolute(s.base(), s.attribute(child, ns::kNone, "url").value()),
                               s.attribute(child, ns::kNone, "type").value(),
                               s.attribute(child, ns::kNone, "length").value());
      }
    } else if (uri == ns::kContent && name == "encoded" && encoded.empty()) {
      encoded = body_of(child, max);
      encoded_scope = s;
    } else if (uri == ns::kDc) {
      if (name == "creator" && creator.empty()) creator = text(child, max);
      if (name == "date") set_date(out.published, child, ctx);
      if (name == "subject") Context::add_tag(out, text(child, kMaxTagBytes * 4));
    } else if (uri == ns::kDcTerms) {
      if (name == "issued" || name == "created") set_date(out.published, child, ctx);
      if (name == "modified") set_date(out.updated, child, ctx);
    }
  }

  if (v.rdf) {
    guid_text = scope.attribute(item, ns::kRdf, "about").value();
    guid_scope = scope;
    guid_is_permalink = true;
  }
  out.guid = guid_text;
  if (!link_text.empty()) {
    out.link = absolute(link_scope.base(), link_text);
  } else if (guid_is_permalink && (is_absolute_url(guid_text) || guid_text.starts_with("/"))) {
    // A permalink guid ("//host/x" and "/x" included) is the article's address.
    out.link = absolute(guid_scope.base(), guid_text);
  }
  out.author = !creator.empty() ? creator : author;
  const bool use_encoded = !encoded.empty();
  out.html = use_encoded ? std::move(encoded) : std::move(description);
  out.content_base = content_base(use_encoded ? encoded_scope : description_scope, out.link);

  ctx.add_item(std::move(out));
}

// Title, link, id and ttl of the channel; makes the feed link the fallback base of `scope`.
void parse_channel(pugi::xml_node channel, Scope& scope, const Vocabulary& v, Context& ctx) {
  Feed& feed = ctx.feed();
  for (const auto child : channel.children()) {
    if (child.type() != pugi::node_element) continue;
    const Scope s = scope.enter(child);
    if (!s.is(child, v.rss_ns, local_name(child))) continue;
    const std::string_view name = local_name(child);
    if (name == "title" && feed.title.empty()) {
      feed.title = ctx.bound(text(child, ctx.text_max()));
    } else if (name == "link" && feed.link.empty()) {
      feed.link = ctx.bound(absolute(s.base(), text(child, ctx.text_max())));
    } else if (name == "ttl") {
      const std::string t = text(child, 32);
      long minutes = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), minutes);
      // A year is plenty; more is a typo or an attack on the scheduler.
      if (ec == std::errc() && end == t.data() + t.size() && minutes > 0 && minutes <= 525600) {
        feed.ttl = std::chrono::minutes(minutes);
      }
    }
  }
  feed.id = feed.link;
  // Without an xml:base, relative item links are read against the site, then the fetched URL.
  if (is_absolute_url(feed.link)) scope.set_fallback(feed.link);
}

void parse_items(pugi::xml_node parent, const Scope& scope, const Vocabulary& v, Context& ctx) {
  for (const auto child : parent.children()) {
    if (child.type() != pugi::node_element) continue;
    const Scope s = scope.enter(child);
    if (!s.is(child, v.rss_ns, "item")) continue;
    if (!ctx.complete(child) || !ctx.room_for_item()) continue;
    parse_item(child, s, v, ctx);
  }
}

}  // namespace

void parse_rss(pugi::xml_node root, const Scope& scope, Context& ctx) {
  ctx.feed().dialect = Dialect::kRss;
  const Vocabulary v{scope.uri(root), false};
  pugi::xml_node channel;
  for (const auto child : root.children()) {
    if (scope.enter(child).is(child, v.rss_ns, "channel")) {
      channel = child;
      break;
    }
  }
  if (!channel) return;
  Scope cs = scope.enter(channel);
  parse_channel(channel, cs, v, ctx);
  parse_items(channel, cs, v, ctx);
  // Some RSS 0.9x generators put the items next to the channel, as RDF does.
  if (ctx.feed().items.empty()) {
    Scope rs = scope;
    if (is_absolute_url(ctx.feed().link)) rs.set_fallback(ctx.feed().link);
    parse_items(root, rs, v, ctx);
  }
}

void parse_rdf(pugi::xml_node root, const Scope& scope, Context& ctx) {
  ctx.feed().dialect = Dialect::kRdf;
  Vocabulary v{ns::kRss10, true};
  pugi::xml_node channel;
  for (const auto child : root.children()) {
    const Scope s = scope.enter(child);
    if (s.is(child, ns::kRss10, "channel") || s.is(child, ns::kRss090, "channel")) {
      channel = child;
      v.rss_ns = s.uri(child);
      break;
    }
  }
  Scope items_scope = scope;
  if (channel) {
    Scope cs = scope.enter(channel);
    parse_channel(channel, cs, v, ctx);
    if (is_absolute_url(ctx.feed().link)) items_scope.set_fallback(ctx.feed().link);
  }
  parse_items(root, items_scope, v, ctx);
}

}  // namespace feedd::parse::detail
