#include "lib/gumbo/html_tree.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace feedd::lib {
namespace {

// Every allocation gumbo makes is linked into a list, so that the whole tree can be released
// iteratively (gumbo_destroy_output recurses once per nesting level) and so that an aborted
// parse leaks nothing.
struct alignas(std::max_align_t) Block {
  Block* prev;
  Block* next;
  std::size_t size;
};

struct Arena {
  Block head{&head, &head, 0};
  std::size_t used = 0;
  std::size_t limit = 0;
  std::jmp_buf overflow;

  ~Arena() {
    for (Block* b = head.next; b != &head;) {
      Block* next = b->next;
      std::free(b);
      b = next;
    }
  }
};

void* arena_alloc(void* userdata, std::size_t size) {
  auto* arena = static_cast<Arena*>(userdata);
  void* raw = nullptr;
  if (size <= arena->limit - arena->used) raw = std::malloc(sizeof(Block) + size);
  // gumbo cannot handle a failed allocation, so leave the parse altogether. Only C frames of
  // gumbo lie between here and the setjmp in run_parse(): nothing is skipped that owns anything
  // not in the arena.
  if (raw == nullptr) std::longjmp(arena->overflow, 1);
  auto* block = static_cast<Block*>(raw);
  block->size = size;
  block->prev = &arena->head;
  block->next = arena->head.next;
  arena->head.next->prev = block;
  arena->head.next = block;
  arena->used += size;
  return block + 1;
}

void arena_free(void* userdata, void* ptr) {
  if (ptr == nullptr) return;
  auto* arena = static_cast<Arena*>(userdata);
  Block* block = static_cast<Block*>(ptr) - 1;
  block->prev->next = block->next;
  block->next->prev = block->prev;
  arena->used -= block->size;
  std::free(block);
}

// Kept free of objects with destructors: longjmp lands here.
GumboOutput* run_parse(Arena* arena, const GumboOptions* options, const char* data,
                       std::size_t size) {
  if (setjmp(arena->overflow) != 0) return nullptr;
  return gumbo_parse_with_options(options, data, size);
}

const GumboVector kNoChildren{nullptr, 0, 0};

}  // namespace

struct HtmlTree::Impl {
  std::string source;
  Arena arena;  // owns every node; the GumboOutput itself is one of its blocks
  GumboOutput* output = nullptr;
};

std::size_t html_cut_point(std::string_view html, const HtmlLimits& limits) {
  std::size_t end = std::min(html.size(), limits.max_bytes);
  std::size_t tags = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (html[i] == '<' && ++tags > limits.max_tags) return i;
  }
  if (end == html.size()) return end;
  // Cut by size: back up to the last '<' so that no tag is split.
  const auto lt = html.substr(0, end).rfind('<');
  return lt == std::string_view::npos ? end : lt;
}

std::optional<HtmlTree> HtmlTree::parse(std::string source, const HtmlParseOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->source = std::move(source);  // before parsing: the tree points into this buffer
  impl->arena.limit = options.max_memory != 0 ? options.max_memory
                                              : (std::size_t{32} << 20) + 8 * impl->source.size();
  GumboOptions gumbo = kGumboDefaultOptions;
  gumbo.allocator = &arena_alloc;
  gumbo.deallocator = &arena_free;
  gumbo.userdata = &impl->arena;
  // Each recorded error copies the stack of open elements: quadratic memory on deep nesting.
  gumbo.max_errors = 0;
  gumbo.fragment_context = options.fragment_context;
  gumbo.fragment_namespace = GUMBO_NAMESPACE_HTML;
  impl->output = run_parse(&impl->arena, &gumbo, impl->source.data(), impl->source.size());
  if (impl->output == nullptr) return std::nullopt;
  return HtmlTree(std::move(impl));
}

HtmlTree::HtmlTree(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HtmlTree::HtmlTree(HtmlTree&&) noexcept = default;
HtmlTree& HtmlTree::operator=(HtmlTree&&) noexcept = default;
HtmlTree::~HtmlTree() = default;

const GumboNode* HtmlTree::document() const {
  return impl_->output->document;
}
const GumboNode* HtmlTree::root() const {
  return impl_->output->root;
}
std::string_view HtmlTree::source() const {
  return impl_->source;
}

std::optional<std::size_t> HtmlTree::offset_of(const GumboStringPiece& piece) const {
  if (piece.data == nullptr || piece.length == 0) return std::nullopt;
  const char* begin = impl_->source.data();
  const char* end = begin + impl_->source.size();
  // Compare as integers: relational operators on unrelated pointers are unspecified.
  const auto p = reinterpret_cast<std::uintptr_t>(piece.data);
  if (p < reinterpret_cast<std::uintptr_t>(begin) || p > reinterpret_cast<std::uintptr_t>(end) ||
      piece.length > static_cast<std::size_t>(end - piece.data)) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(piece.data - begin);
}

const GumboVector& children_of(const GumboNode* node) {
  switch (node->type) {
    case GUMBO_NODE_DOCUMENT:
      return node->v.document.children;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE:
      return node->v.element.children;
    default:
      return kNoChildren;
  }
}

}  // namespace feedd::lib
