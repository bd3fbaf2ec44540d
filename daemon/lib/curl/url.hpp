#pragma once
// URL handling through libcurl's URL API (CURLU): parsing, relative resolution, redaction.
// No hand-written URL grammar. All functions are thread-safe and never throw.
#include <optional>
#include <string>
#include <string_view>

namespace feedd::lib {

// Resolves `ref` against the absolute URL `base` (RFC 3986, including protocol-relative
// "//host/x" and "?q" references). Returns nullopt when `base` is not absolute or the result
// is not a valid URL. An absolute `ref` is returned normalised, whatever `base` is.
std::optional<std::string> resolve_url(std::string_view base, std::string_view ref);

// True when `url` parses as an absolute URL whose scheme is one of http, https or file.
bool is_fetchable_url(std::string_view url);

// `url` as feedd may write it anywhere (logs, status page, metrics, atom:source, OPML, refresh
// replies): user:password removed, and the value of every query parameter named key, code,
// token, access_key or apikey (any case, %XX-escaped names too) replaced by "***". The one
// redaction of the program: every writer of a URL calls this. Unparseable input gets the same
// on its text: everything between "://" and the last '@' of the authority becomes "***@".
std::string redact_url(std::string_view url);

// The URL contract (../shared/DESIGN.md "Article file"): every URL feedd writes goes through
// this. `url` resolved against `base` when relative (`base` may be "" for absolute-only), then
// kept only when it is an absolute http or https URL with a host; written back through libcurl's
// URL API: scheme and host lower-cased, user:password dropped, a non-ASCII (IDN) host refused, and
// in path, query and fragment every space, control, non-ASCII byte and `"<>\`{}|^` percent-encoded
// (existing %XX escapes stay). So the result can stand in an HTML or XML attribute, a YAML
// scalar or a Markdown link without further escaping but for `&` and `'`. nullopt otherwise.
// Idempotent: web_url(*web_url(u)) == web_url(u).
std::optional<std::string> web_url(std::string_view url, std::string_view base = {});

// `text`, a message about `url` (curl's error buffer, say), with each secret of `url` replaced by
// "***": its user:password (and password alone), and the value of every query parameter
// redact_url() hides. For messages that may quote the URL or part of it.
std::string redact_secrets_in(std::string text, std::string_view url);

// `url` with "name=value" appended to its query (after a '&' when it has one), `value`
// percent-encoded by libcurl. nullopt when `url` is not an absolute URL.
std::optional<std::string> with_query_parameter(std::string_view url, std::string_view name,
                                                std::string_view value);
// True for a path from a site's root made only of ASCII letters, digits and "-._~/%" (no
// "//" start, no "..", no "%" but before two hex digits): a downloaded image's URL under
// `image_base: /images/`. Such a path may stand wherever web_url's output may (an attribute,
// a YAML scalar, a Markdown link) without escaping. Pure.
bool is_site_path(std::string_view path);

// Lower-case host of an absolute URL, or "" when there is none (file://, garbage).
std::string url_host(std::string_view url);

namespace detail {

// True when `url` is an absolute http or https URL already in the exact form web_url() writes,
// so that web_url() may return it unchanged without asking curl: scheme "http://" or
// "https://"; a host of non-empty dot-separated labels of [a-z0-9-] whose last label starts with
// a letter (so no IPv4 literal curl would normalise), with no port, userinfo or trailing dot;
// a path that starts with '/' and has no segment starting with '.' or "%2e" and no empty
// segment; then an optional non-empty query and non-empty fragment (one '#'). Path, query and
// fragment hold only ASCII letters, digits, "-._~!$&'()*+,;=:@/" ('?' after the path) and '%'
// before two hex digits. Deliberately narrow, not a URL parser: whatever it refuses goes through
// curl. tests/lib/url_test.cpp proves it against web_url_via_curl(). Pure.
bool is_canonical_web_url(std::string_view url);

// web_url() with every input through libcurl's URL API (no fast path): the reference the tests
// and fuzz_html compare the fast path with. Same contract as web_url().
std::optional<std::string> web_url_via_curl(std::string_view url, std::string_view base = {});

}  // namespace detail

}  // namespace feedd::lib
