#pragma once
// Building blocks of the article file format (article.hpp: render_article_file /
// read_article_file), exposed for make_article and for tests. Pure, thread-safe, never throw.
#include <cstddef>
#include <string>
#include <string_view>

namespace feedd::article {

// Files larger than this are refused by read_article_file (and import reads no more). A whole
// number of MiB: messages state it in MiB.
inline constexpr std::size_t kMaxArticleFileBytes = std::size_t{16} << 20;
static_assert(kMaxArticleFileBytes % (std::size_t{1} << 20) == 0);

// read_article_file refuses a longer front-matter (between the `---` lines): yaml-cpp would
// need hundreds of MB for it. make_article keeps its titles and URLs far below it.
inline constexpr std::size_t kMaxFrontMatterBytes = std::size_t{64} << 10;

// make_article cuts longer titles at a UTF-8 boundary, and leaves out a longer link or image
// URL (a title this long is a body pasted into the title; such a URL is a data: blob).
inline constexpr std::size_t kMaxTitleBytes = 2048;
inline constexpr std::size_t kMaxUrlBytes = 4096;
// make_article cuts a longer upstream author (`creator:`) at a UTF-8 boundary.
inline constexpr std::size_t kMaxCreatorBytes = 256;

// `url` under the URL contract (lib::web_url: absolute http/https, percent-encoded), or "" when
// it fails it or is longer than kMaxUrlBytes: what the front-matter's link, headimg and thumbnail
// may hold. A "" key is left out of the file.
std::string front_matter_url(std::string_view url);

// Every line break (CR, LF, NEL, U+2028, U+2029) together with the blanks around it becomes one
// space; tabs and the other characters YAML may not carry (C0/C1 controls, DEL) become a space
// each. Other bytes, invalid UTF-8 included, are kept. The result is one line that YAML reads
// back unchanged. Not trimmed.
std::string fold_to_line(std::string_view text);

// `'text'` with every `'` doubled. `text` must already be one line (fold_to_line).
std::string yaml_single_quoted(std::string_view text);

// `text` as a YAML plain scalar when YAML (1.1 and 1.2, js-yaml as Hexo uses it) reads it back
// as the same string, else yaml_single_quoted(text). `text` must already be one line.
std::string yaml_scalar(std::string_view text);

// Every `{` and `}` as `&#123;` / `&#125;` (Hexo runs post bodies through Nunjucks).
std::string escape_braces(std::string_view html);

// Inverse of escape_braces.
std::string unescape_braces(std::string_view html);

}  // namespace feedd::article
