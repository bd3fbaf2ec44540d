#include "article/article.hpp"
#include "article/html_text.hpp"
#include "lib/crypto/sha256.hpp"

namespace feedd::article {

std::string normalize_title(std::string_view title) {
  // Titles are parsed as HTML so that gumbo decodes every entity and drops the tags; tags are
  // stripped without adding spaces, as a sed one-liner would. Most titles hold neither: for
  // them the parse (a tree, an arena) would give the text back as it is.
  if (detail::is_plain_text(title)) return detail::fold_space(title);
  return detail::fold_space(detail::fragment_text(title, false));
}

std::string title_hash(std::string_view title) {
  return detail::normalized_title_hash(normalize_title(title));
}

namespace detail {

std::string normalized_title_hash(std::string_view normalized) {
  return lib::sha256_hex(normalized).substr(0, 16);
}

}  // namespace detail

}  // namespace feedd::article
