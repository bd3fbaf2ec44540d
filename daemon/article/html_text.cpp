#include "article/html_text.hpp"

#include <optional>
#include <utility>
#include <vector>

#include "article/article.hpp"
#include "lib/gumbo/html_tree.hpp"
#include "lib/gumbo/text.hpp"
#include "util/utf8.hpp"

namespace feedd::article {
namespace detail {
namespace {

// Byte length of the white-space character at s[i], 0 when there is none.
std::size_t space_at(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const std::size_t left = s.size() - i;
  switch (b(0)) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
      return 1;
    case 0xC2:  // U+0085 NEL, U+00A0 NBSP
      return left >= 2 && (b(1) == 0x85 || b(1) == 0xA0) ? 2 : 0;
    case 0xE1:  // U+1680 OGHAM SPACE MARK
      return left >= 3 && b(1) == 0x9A && b(2) == 0x80 ? 3 : 0;
    case 0xE2:  // U+2000..200A, U+2028/2029, U+202F, U+205F
      if (left < 3) return 0;
      if (b(1) == 0x80 &&
          ((b(2) >= 0x80 && b(2) <= 0x8A) || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF)) {
        return 3;
      }
      return b(1) == 0x81 && b(2) == 0x9F ? 3 : 0;
    case 0xE3:  // U+3000 IDEOGRAPHIC SPACE
      return left >= 3 && b(1) == 0x80 && b(2) == 0x80 ? 3 : 0;
    default:
      return 0;
  }
}

}  // namespace

void TextFolder::add(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (const std::size_t n = space_at(text, i); n != 0) {
      pending_ = true;
      i += n;
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && space_at(text, end) == 0)
      ++end;
    if (pending_ && !out_.empty()) out_ += ' ';
    pending_ = false;
    out_.append(text.substr(i, end - i));
    i = end;
  }
}

namespace {

std::optional<lib::HtmlTree> parse_fragment(std::string_view html) {
  const std::string_view input = html.substr(0, lib::html_cut_point(html));
  return lib::HtmlTree::parse(std::string(input), {.fragment_context = GUMBO_TAG_DIV});
}

}  // namespace

std::string fold_space(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  TextFolder(out).add(text);
  return out;
}

std::string fragment_text(std::string_view html, bool separate_blocks) {
  const auto tree = parse_fragment(html);
  if (!tree) return {};
  std::string out;
  lib::for_each_text(tree->document(), separate_blocks, [&](std::string_view text) {
    out += text;
    return true;
  });
  return out;
}

std::string folded_text(const GumboNode* container, bool separate_blocks, std::size_t enough) {
  std::string out;
  TextFolder folder(out);
  lib::for_each_text(container, separate_blocks, [&](std::string_view text) {
    folder.add(text);
    return out.size() <= enough;
  });
  return out;
}

std::string summary_of(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  static constexpr std::string_view kEllipsis = "…";
  if (max_bytes < kEllipsis.size()) return {};
  text.resize(util::utf8_prefix(text, max_bytes - kEllipsis.size()).size());
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  text += kEllipsis;
  return text;
}

}  // namespace detail

std::string html_to_text(std::string_view html, std::size_t max_bytes) {
  const auto tree = detail::parse_fragment(html);
  if (!tree) return {};
  return detail::summary_of(detail::folded_text(tree->document(), true, max_bytes), max_bytes);
}

}  // namespace feedd::article
