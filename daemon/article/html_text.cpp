#include "article/html_text.hpp"

#include <optional>
#include <utility>
#include <vector>

#include "article/article.hpp"
#include "lib/gumbo/html_tree.hpp"

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

bool is_text_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
      return true;
    default:
      return false;
  }
}

namespace {

bool has_no_text(GumboTag tag) {
  return tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_TEMPLATE ||
         tag == GUMBO_TAG_HEAD;
}

// Calls emit(text) for the text under `container` in document order, with " " around block
// elements when `separate_blocks`; stops when emit returns false.
template <typename Emit>
void walk_text(const GumboNode* container, bool separate_blocks, Emit emit) {
  // Explicit stack instead of recursion: nesting depth is attacker-controlled. A null entry
  // marks the end of a block element, where a separating space goes.
  std::vector<const GumboNode*> stack;
  const GumboVector& top = lib::children_of(container);
  for (unsigned i = top.length; i-- > 0;)
    stack.push_back(lib::child(top, i));
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node == nullptr) {
      if (!emit(std::string_view(" "))) return;
      continue;
    }
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        if (!emit(std::string_view(node->v.text.text))) return;
        continue;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        if (has_no_text(node->v.element.tag)) continue;
        if (separate_blocks && is_text_block(node->v.element.tag)) {
          if (!emit(std::string_view(" "))) return;
          stack.push_back(nullptr);
        }
        break;
      case GUMBO_NODE_DOCUMENT:
        break;
      default:  // comments
        continue;
    }
    const GumboVector& children = lib::children_of(node);
    for (unsigned i = children.length; i-- > 0;)
      stack.push_back(lib::child(children, i));
  }
}

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
  walk_text(tree->document(), separate_blocks, [&](std::string_view text) {
    out += text;
    return true;
  });
  return out;
}

std::string folded_text(const GumboNode* container, bool separate_blocks, std::size_t enough) {
  std::string out;
  TextFolder folder(out);
  walk_text(container, separate_blocks, [&](std::string_view text) {
    folder.add(text);
    return out.size() <= enough;
  });
  return out;
}

std::string summary_of(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  static constexpr std::string_view kEllipsis = "…";
  if (max_bytes < kEllipsis.size()) return {};
  std::size_t cut = max_bytes - kEllipsis.size();
  // Back up over UTF-8 continuation bytes so that no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  text.resize(cut);
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
