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

// The lower-case scheme of `url` as a browser finds it, "" for a relative URL. Every byte
// <= 0x20 is skipped wherever it is: browsers strip leading C0 controls and spaces and drop tabs
// and newlines anywhere, so this sees at least the scheme a browser would ("java\tscript:").
std::string url_scheme(std::string_view url);

// A srcset (HTML's "parse a srcset attribute" grammar) with every candidate URL put through the
// URL contract (lib::web_url, relative ones resolved against `base`) and the candidates that fail
// it left out; descriptors are kept as written. nullopt when no candidate is left.
std::optional<std::string> sanitize_srcset(std::string_view srcset, std::string_view base);

// The CSS of a style attribute without the declarations that could load or run something
// (url(), image-set(), expression(), behavior, -moz-binding, javascript:, …, and any backslash
// escape or comment, which could hide those) or cover the reader's page (position: fixed).
// Returns `css` unchanged when nothing is removed; otherwise the declarations that pass, bytes
// as they were, joined by ';'; nullopt when nothing but white space is left.
std::optional<std::string> sanitize_style(std::string_view css);

// What attribute `name` on element `element` (both lower-case; `value` decoded, "" for an
// attribute without a value) may keep: `value` itself, a cleaned value, or nullopt to remove it.
// URL attributes (href, src, poster, cite, and the lazy-image data-src, data-original,
// data-actualsrc, data-lazy-src) follow the URL contract: lib::web_url(value, base), so an
// absolute http(s) URL, percent-encoded, or nothing; srcset goes through sanitize_srcset. Of
// data-*, only kInertDataAttributes pass. An alt loses its < > and " (themes concatenate it
// into markup). On an iframe, `sandbox` passes only as kIframeSandbox:
// the caller adds that value when missing.
std::optional<std::string> filter_attribute(std::string_view element, std::string_view name,
                                            std::string_view value, std::string_view base = {});

// The data-* attributes kept: lazy-image sources and layout hints that the sources' pages carry
// and that no framework reads as code. Every other data-* goes (data-ng-*, data-bind,
// data-toggle/data-html and the like are script gadgets on pages that run those frameworks).
inline constexpr std::string_view kInertDataAttributes[] = {
    "data-src", "data-original", "data-actualsrc", "data-lazy-src", "data-ratio",
    "data-w",   "data-width",    "data-height",    "data-type"};

// The data-* attributes that hold an image URL (and so follow the URL contract).
inline constexpr std::string_view kLazyImageAttributes[] = {"data-src", "data-original",
                                                            "data-actualsrc", "data-lazy-src"};

// True when an iframe with this src may stay: an absolute http(s) URL (resolve relative ones
// first) whose host equals one of `hosts`, ignoring case. Subdomains must be listed themselves.
bool iframe_allowed(std::string_view src, const std::vector<std::string>& hosts);

// The sandbox of every iframe kept, replacing any it had: the player runs in its own origin and
// may open its page in a new window, nothing more (no top navigation, forms or downloads).
inline constexpr std::string_view kIframeSandbox = "allow-scripts allow-same-origin allow-popups";

}  // namespace feedd::article
