#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "article/article.hpp"
#include "article/article_file.hpp"
#include "article/html_text.hpp"
#include "lib/crypto/sha256.hpp"
#include "util/utf8.hpp"

namespace feedd::article {
namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

}  // namespace

namespace {

// RFC 2045 token characters: printable ASCII but space and tspecials.
bool is_token_char(char c) {
  return c > 0x20 && c < 0x7F &&
         std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// Moves `i` past a token of `s`; false when there is none.
bool skip_token(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && is_token_char(s[i]))
    ++i;
  return i > start;
}

void skip_spaces(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
}

}  // namespace

bool is_mime_type(std::string_view s) {
  std::size_t i = 0;
  if (!skip_token(s, i) || i >= s.size() || s[i] != '/') return false;
  ++i;
  if (!skip_token(s, i)) return false;
  while (i < s.size()) {
    skip_spaces(s, i);
    if (i >= s.size() || s[i] != ';') return false;
    ++i;
    skip_spaces(s, i);
    if (!skip_token(s, i) || i >= s.size() || s[i] != '=') return false;
    ++i;
    if (i < s.size() && s[i] == '"') {
      // A quoted string: printable ASCII, backslash escapes.
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] < 0x20 || s[i] >= 0x7F) return false;
        if (s[i] == '\\' && ++i >= s.size()) return false;
      }
      if (i >= s.size()) return false;
      ++i;
    } else if (!skip_token(s, i)) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> clean_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& tag : tags) {
    if (out.size() >= parse::kMaxTags) break;
    const std::string folded = fold_to_line(util::utf8_prefix(tag, parse::kMaxTagBytes));
    std::string t(trim_spaces(folded));
    if (t.empty() || std::find(out.begin(), out.end(), t) != out.end()) continue;
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<parse::Enclosure> clean_enclosures(const std::vector<parse::Enclosure>& enclosures) {
  std::vector<parse::Enclosure> out;
  for (const auto& e : enclosures) {
    if (out.size() >= parse::kMaxEnclosures) break;
    parse::Enclosure c;
    c.url = front_matter_url(e.url);
    if (c.url.empty()) continue;
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.url == c.url; })) {
      continue;
    }
    const std::string_view type = trim_spaces(e.type);
    if (type.size() <= parse::kMaxEnclosureTypeBytes && is_mime_type(type)) c.type = type;
    c.length = e.length;
    out.push_back(std::move(c));
  }
  return out;
}

std::string item_digest(const parse::FeedItem& item) {
  // NUL cannot occur in either (XML forbids it), so the split is unambiguous.
  return lib::sha256_hex({item.title, std::string_view("\0", 1), item.html});
}

std::optional<Article> make_article(const parse::FeedItem& item, const Context& context) {
  // fold_to_line turns line breaks, tabs and controls into spaces, so trimming spaces is enough.
  const std::string folded = fold_to_line(item.title);
  std::string title(trim_spaces(util::utf8_prefix(trim_spaces(folded), kMaxTitleBytes)));
  const std::string normalized = normalize_title(title);
  if (normalized.empty()) return std::nullopt;

  Article article;
  article.hash = detail::normalized_title_hash(normalized);
  article.title = std::move(title);
  article.categories = context.categories;
  article.author = context.author;
  article.date = item.published.value_or(item.updated.value_or(context.now));
  article.link = front_matter_url(item.link);
  article.guid = item.guid.empty() ? item.link : item.guid;
  article.item_digest = item_digest(item);
  {
    const std::string creator = fold_to_line(util::utf8_prefix(item.author, kMaxCreatorBytes));
    article.creator = std::string(trim_spaces(creator));
  }
  article.tags = clean_tags(item.tags);
  article.enclosures = clean_enclosures(item.enclosures);

  RewriteOptions options;
  options.base_url = item.content_base.empty() ? item.link : item.content_base;
  options.image_proxy = context.image_proxy;
  options.iframe_hosts = context.iframe_hosts;
  options.image_url = context.image_url;
  RewriteResult rewritten = rewrite_html(item.html, options);
  article.html = std::move(rewritten.html);
  article.summary = std::move(rewritten.summary);
  // The image goes into the front-matter twice; the HTML keeps it whatever its size.
  article.image = is_local_image_path(rewritten.first_image)
                      ? std::move(rewritten.first_image)
                      : front_matter_url(rewritten.first_image);
  return article;
}

}  // namespace feedd::article
