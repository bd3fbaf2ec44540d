#include "article/html_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
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

// The bytes space_at() may find a space at: a table, so that a run of other text costs one load
// per byte.
constexpr auto kMaySpace = [] {
  std::array<bool, 256> t{};
  for (const unsigned char b : {' ', '\t', '\n', '\v', '\f', '\r'})
    t[b] = true;
  t[0xC2] = t[0xE1] = t[0xE2] = t[0xE3] = true;
  return t;
}();

}  // namespace

void TextFolder::add(std::string_view text, std::size_t enough) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (const std::size_t n = space_at(text, i); n != 0) {
      pending_ = true;
      i += n;
      continue;
    }
    // Past `enough` bytes the rest of a run is not needed: it ends at the first character
    // boundary beyond them (a long paragraph without spaces need not be scanned to its end).
    const std::size_t limit = enough == std::string::npos
                                  ? text.size()
                                  : i + (enough - std::min(enough, out_.size())) + 1;
    std::size_t end = i + 1;
    while (end < text.size() && end < limit &&
           (!kMaySpace[static_cast<unsigned char>(text[end])] || space_at(text, end) == 0)) {
      ++end;
    }
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      ++end;
    if (pending_ && !out_.empty()) out_ += ' ';
    pending_ = false;
    out_.append(text.substr(i, end - i));
    i = end;
    if (out_.size() > enough) return;
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

bool is_plain_text(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  while (p != end) {
    const unsigned char b = *p;
    if (b < 0x80) {
      if (b < 0x20 || b == 0x7F || b == '<' || b == '&') return false;
      ++p;
      continue;
    }
    const auto continuation = [&](std::ptrdiff_t k) { return (p[k] & 0xC0) == 0x80; };
    std::uint32_t cp = 0;
    if (b >= 0xC2 && b <= 0xDF && end - p >= 2 && continuation(1)) {
      cp = (b & 0x1Fu) << 6 | (p[1] & 0x3Fu);
      p += 2;
    } else if (b >= 0xE0 && b <= 0xEF && end - p >= 3 && continuation(1) && continuation(2)) {
      cp = (b & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
      p += 3;
    } else {
      return false;  // invalid, or beyond the BMP
    }
    // C1 controls and overlong forms, surrogates, noncharacters, the BOM.
    if (cp < 0xA0 || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
        cp >= 0xFFFE || cp == 0xFEFF) {
      return false;
    }
    if (cp < 0x800 && b >= 0xE0) return false;  // overlong three-byte form
  }
  return true;
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
