#pragma once
// The article stage: FeedItem + category path → Article, and the article file format
// (../shared/DESIGN.md "Article file"). Pure: no disk, no clock (now is passed in).
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse/feed.hpp"

namespace feedd::article {

struct Article {
  std::string hash;                     // title_hash(title): 16 lower-case hex digits
  std::string title;                    // as published (line breaks folded to spaces)
  std::vector<std::string> categories;  // display names, top → source → channel
  std::string author;                   // the source's display name
  std::chrono::sys_seconds date{};      // published, else first seen
  std::string link;                     // the original article URL ("" when unknown)
  std::string image;                    // first <img> src after rewriting; "" when none
  std::string html;                     // rewritten, sanitised body (braces NOT escaped)
  std::string guid;                     // upstream guid, else link; "" for imports
  // Upstream metadata (issue 14), each "" / empty when the item had none. One line each
  // (fold_to_line), at most parse::kMaxTags tags, parse::kMaxEnclosures enclosures whose URLs
  // obey the URL contract (front_matter_url; the others are left out).
  std::string creator;                       // the item's own author (dc:creator, …)
  std::vector<std::string> tags;             // upstream categories, no repeats
  std::vector<parse::Enclosure> enclosures;  // attached files
  // `updates: true` (issue 14): when upstream last changed the article after it was stored
  // (nullopt: never), and item_digest() of the upstream item it was made from ("" for imports).
  std::optional<std::chrono::sys_seconds> updated{};
  std::string item_digest{};
  // html_to_text(html, kSummaryBytes), made with the HTML so that no later stage parses the
  // HTML again; nullopt when not computed (read from an article file, or a row stored before
  // summaries were), and then whoever needs it computes it.
  std::optional<std::string> summary{};
};

// The size of an Atom entry's plain-text summary.
inline constexpr std::size_t kSummaryBytes = 500;

// Entities decoded, tags stripped, every run of white space (ASCII, NBSP, U+3000 …) folded to
// one space, trimmed. UTF-8 in and out; gumbo turns invalid UTF-8 into U+FFFD.
std::string normalize_title(std::string_view title);

// First 16 hex digits of SHA-256 over normalize_title(title).
std::string title_hash(std::string_view title);

struct RewriteOptions {
  std::string base_url;     // absolute; relative src/href are resolved against it
  std::string image_proxy;  // prefix for http:// image URLs; "" = off
  // Hosts whose <iframe> embeds are kept (sandboxed), e.g. player.bilibili.com; exact names.
  std::vector<std::string> iframe_hosts{};
  // Maps an image's URL (its src as chosen, under the URL contract, before image_proxy) to
  // the URL written instead, e.g. a downloaded copy (`images: download`); nullopt keeps the
  // image's own (and image_proxy then applies). A mapped URL is written when it passes the URL
  // contract or is_local_image_path, and never goes through image_proxy. While set, a src that
  // is_local_image_path already is kept as it is (rewriting a post again keeps its images). Called
  // once per <img>, on the rewriting thread, in document order, so it may also collect the
  // article's images. Unset: no mapping.
  std::function<std::optional<std::string>(const std::string& url)> image_url{};
};

// A downloaded image under a site-path image_base ("/images/<32 hex>.jpg"): a site path
// (lib::is_site_path) whose last segment is_image_file_name. Written as it is (src, headimg,
// thumbnail), where anything else must be an absolute URL under the URL contract. Pure.
bool is_local_image_path(std::string_view path);

struct RewriteResult {
  std::string html;         // the sanitised tree, serialised (html.cpp); "" when nothing is left
  std::string first_image;  // src of the first <img> after rewriting, "" when none
  std::string summary{};    // html_to_text(html, kSummaryBytes), made from the same tree
};

// Parses `html` once (gumbo, as a fragment in <div> context, as the post's <div> and a reader's
// innerHTML hold it), rewrites images (lazy-load sources, `image_proxy`, referrerpolicy) and
// serialises the tree through the allowlist (article/sanitize.hpp): allowlisted elements and
// attributes only, names lower-case, values double-quoted and escaped, text escaped, void
// elements without end tags, every element opened closed; unknown elements unwrapped, dropped
// ones removed with their content, comments removed. Every URL follows the URL contract
// (lib::web_url), relative ones resolved against `base_url`. Attribute order stays as in the
// source. So the output is balanced: nothing in it can close an element around it. Bounded:
// input over 4 MiB or 20000 tags is cut at a tag boundary (lib::HtmlLimits); a document that
// exhausts the parser's memory budget yields "". Thread-safe; never throws but std::bad_alloc.
RewriteResult rewrite_html(std::string_view html, const RewriteOptions& options);

// Plain text of an HTML fragment (gumbo: entities decoded, tags dropped, white space folded),
// cut at a UTF-8 boundary to at most `max_bytes` with "…" appended when cut. For Atom summaries.
std::string html_to_text(std::string_view html, std::size_t max_bytes = 500);

struct Context {
  std::vector<std::string> categories;  // top, source, channel display names
  std::string author;                   // source display name
  std::string image_proxy;
  std::chrono::sys_seconds now{};           // used as the date when the item has none
  std::vector<std::string> iframe_hosts{};  // RewriteOptions::iframe_hosts
  // RewriteOptions::image_url; the front-matter image (headimg, thumbnail) is the first
  // <img>'s, so it follows the mapping too.
  std::function<std::optional<std::string>(const std::string& url)> image_url{};
};

// `tags` as the front-matter holds them: each folded to one line and trimmed, empty and
// repeated ones dropped, at most parse::kMaxTags.
std::vector<std::string> clean_tags(const std::vector<std::string>& tags);

// A MIME type as RFC 2045 writes it and the W3C Feed Validator accepts it: token "/" token,
// then any `; name=value` parameters (value a token or a quoted string). ASCII only.
bool is_mime_type(std::string_view type);

// `enclosures` whose URL passes front_matter_url (rewritten by it), type kept when
// is_mime_type (else ""),
// repeated URLs dropped, at most parse::kMaxEnclosures.
std::vector<parse::Enclosure> clean_enclosures(const std::vector<parse::Enclosure>& enclosures);

// SHA-256 (hex) of an upstream item's title and body as published: whether the same GUID came
// back changed (`updates: true`), without making the article again.
std::string item_digest(const parse::FeedItem& item);

// Title hash, rewriting, date choice. nullopt when the item has no usable title.
std::optional<Article> make_article(const parse::FeedItem& item, const Context& context);

// The article file, byte for byte as in the seeds (plus `link:`); braces in the body are
// written as &#123; / &#125;, and no line of the body is blank, for Markdown would end the HTML
// block there (article_file.cpp says how, without changing what the HTML parses to).
std::string render_article_file(const Article& article);

struct ReadResult {
  std::optional<Article> article;  // hash recomputed from the title; guid ""
  std::string error;               // "PATH:LINE: message" when !article
};

// Reads an article file (the seeds, with or without `link:`). `path` names it in messages.
// Inverse of render_article_file: render(read(render(a))) == render(a).
ReadResult read_article_file(std::string_view text, std::string_view path);

}  // namespace feedd::article
