#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "article/article.hpp"
#include "article/article_file.hpp"
#include "article/html_text.hpp"

namespace feedd::article {
namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

// The longest prefix of at most `max` bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.substr(0, n);
}

}  // namespace

std::optional<Article> make_article(const parse::FeedItem& item, const Context& context) {
  // fold_to_line turns line breaks, tabs and controls into spaces, so trimming spaces is enough.
  const std::string folded = fold_to_line(item.title);
  std::string title(trim_spaces(utf8_prefix(trim_spaces(folded), kMaxTitleBytes)));
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
