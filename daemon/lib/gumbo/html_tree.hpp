#pragma once
// RAII ownership of one gumbo parse tree, with the limits gumbo itself lacks.
//
// gumbo 0.10 has no depth or memory limit, is quadratic in nesting depth (scope checks walk the
// stack of open elements) and frees its tree recursively. Hence: callers cut hostile input with
// html_cut_point() first, parses run against a memory budget, and every allocation of a parse
// comes from one arena, released chunk by chunk with the tree, never by gumbo's recursive destroy.
#include <gumbo.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace feedd::lib {

struct HtmlLimits {
  std::size_t max_bytes = std::size_t{4} << 20;  // input past this is cut
  std::size_t max_tags = 20000;                  // '<' past this is cut: bounds gumbo's O(n²)
};

// Length of the prefix of `html` that may be parsed: all of it when within `limits`, else cut
// just before a '<' (a tag boundary as far as a byte scan can tell; gumbo copes with the rest).
std::size_t html_cut_point(std::string_view html, const HtmlLimits& limits = {});

struct HtmlParseOptions {
  // GUMBO_TAG_LAST parses a whole document; any other tag parses a fragment in that context.
  GumboTag fragment_context = GUMBO_TAG_LAST;
  // The parse's memory budget: when its arena would need more heap than this (chunks, headers
  // and memory gumbo freed during the parse all count), parse() returns nullopt.
  // 0 = 32 MiB + 8 × input size.
  std::size_t max_memory = 0;
};

// Move-only owner of a parse tree and of the buffer it points into. Node pointers stay valid
// while the HtmlTree lives. Distinct trees may be used from distinct threads; parse() is
// thread-safe. Never throws except std::bad_alloc.
class HtmlTree {
 public:
  // Parses `source` (taken over: gumbo's string pieces point into it). nullopt when the parse
  // exceeded the memory budget, which only pathological documents do.
  static std::optional<HtmlTree> parse(std::string source, const HtmlParseOptions& options = {});

  HtmlTree(HtmlTree&&) noexcept;
  HtmlTree& operator=(HtmlTree&&) noexcept;
  ~HtmlTree();

  const GumboNode* document() const;
  const GumboNode* root() const;  // the <html> element
  std::string_view source() const;

  // Heap bytes the parse took (its arena), at most HtmlParseOptions::max_memory. The source
  // buffer is not counted.
  std::size_t memory_bytes() const;

  // Byte offset of `piece` in source(), or nullopt when it is empty or does not point into
  // source() (parser-inserted elements, decoded strings).
  std::optional<std::size_t> offset_of(const GumboStringPiece& piece) const;

 private:
  struct Impl;
  explicit HtmlTree(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

inline std::string_view view(const GumboStringPiece& piece) {
  return piece.data == nullptr ? std::string_view{} : std::string_view(piece.data, piece.length);
}

// Typed access to the elements of gumbo's void* vectors (children, attributes).
inline const GumboNode* child(const GumboVector& children, unsigned i) {
  return static_cast<const GumboNode*>(children.data[i]);
}
inline const GumboAttribute* attribute(const GumboVector& attributes, unsigned i) {
  return static_cast<const GumboAttribute*>(attributes.data[i]);
}

// Children of an element, template or document node; an empty vector for anything else.
const GumboVector& children_of(const GumboNode* node);

}  // namespace feedd::lib
