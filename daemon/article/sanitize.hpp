#pragma once
// The allowlist that article HTML is cleaned by (issue 4 "Sanitising"): which elements,
// attributes, URL schemes and CSS declarations survive. Pure functions over lower-case names and
// decoded values (gumbo has already decoded entities); rewrite_html() applies them to the parse
// tree after the image rewriting, changing only the tags they reject.
//
// The lists follow mature readers (Miniflux, bleach, sanitize-html), cut down to what the W3C
// Feed Validator accepts in content, so that its SecurityRisk ("should not contain X tag") and
// SecurityRiskAttr ("should not contain X attribute") warnings cannot apply to our feeds. Two
// deliberate exceptions: style attributes are kept (filtered) because the seeds depend on them,
// and an iframe whose host is configured in `iframe_hosts` is kept (sandboxed).
//
// Thread-safe; nothing here throws except std::bad_alloc.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::article {

enum class ElementAction {
  keep,    // the element stays; its attributes go through filter_attribute()
  unwrap,  // its tags go, its content stays: unknown and presentational wrappers (font, o:p)
  drop,    // removed with everything inside: what can run, load or hide code (script, svg, …)
};

// What happens to an HTML element, by lower-case tag name. "iframe" is `drop` here: an iframe
// stays only when iframe_allowed() accepts its src.
ElementAction element_action(std::string_view name);

// How a URL-valued attribute is used, which decides the schemes it may have.
enum class UrlUse {
  link,      // <a href>: http, https, mailto, or relative
  resource,  // src, poster, cite, srcset candidates: http, https, or relative
  image,     // <img src>: as resource, plus data:image/{png,gif,jpeg,webp,avif,apng,bmp}
};

// The lower-case scheme of `url` as a browser finds it, "" for a relative URL. Every byte
// <= 0x20 is skipped wherever it is: browsers strip leading C0 controls and spaces and drop tabs
// and newlines anywhere, so this sees at least the scheme a browser would ("java\tscript:").
std::string url_scheme(std::string_view url);

bool is_safe_url(std::string_view url, UrlUse use);

// True when every candidate URL of a srcset (HTML's srcset grammar) is a safe resource URL.
bool is_safe_srcset(std::string_view srcset);

// The CSS of a style attribute without the declarations that could load or run something
// (url(), image-set(), expression(), behavior, -moz-binding, javascript:, …, and any backslash
// escape or comment, which could hide those) or cover the reader's page (position: fixed).
// Returns `css` unchanged when nothing is removed; otherwise the declarations that pass, bytes
// as they were, joined by ';'; nullopt when nothing but white space is left.
std::optional<std::string> sanitize_style(std::string_view css);

// What attribute `name` on element `element` (both lower-case; `value` decoded, "" for an
// attribute without a value) may keep: `value` itself, a cleaned value (style), or nullopt to
// remove it. Checks URL schemes of href, src, poster, cite and srcset. On an iframe, `sandbox`
// passes only as kIframeSandbox: the caller adds that value when missing.
std::optional<std::string> filter_attribute(std::string_view element, std::string_view name,
                                            std::string_view value);

// True when an iframe with this src may stay: an absolute http(s) URL (resolve relative ones
// first) whose host equals one of `hosts`, ignoring case. Subdomains must be listed themselves.
bool iframe_allowed(std::string_view src, const std::vector<std::string>& hosts);

// The sandbox of every iframe kept, replacing any it had: the player runs in its own origin and
// may open its page in a new window, nothing more (no top navigation, forms or downloads).
inline constexpr std::string_view kIframeSandbox = "allow-scripts allow-same-origin allow-popups";

}  // namespace feedd::article
