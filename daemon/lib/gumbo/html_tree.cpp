#include "lib/gumbo/html_tree.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace feedd::lib {
namespace {

// Every allocation gumbo makes comes from an arena of chunks: bump allocation, no per-allocation
// bookkeeping, and gumbo's frees do nothing. The chunks are released together when the tree goes,
// iteratively (gumbo_destroy_output recurses once per nesting level), and an aborted parse leaks
// nothing. Memory gumbo frees during the parse (the old copies of buffers it grew, its parser
// state: a quarter of its allocations on a short article, 2 % on a 5 MB one) is not reused, and
// the budget counts it like the rest.
constexpr std::size_t kAlign = alignof(std::max_align_t);
constexpr std::size_t kFirstChunk = std::size_t{16} << 10;
constexpr std::size_t kMaxChunk = std::size_t{1} << 20;

struct alignas(std::max_align_t) Chunk {
  Chunk* next;
  std::size_t size;  // bytes of this chunk, header included
};

struct Arena {
  Chunk* chunks = nullptr;  // newest first
  char* cursor = nullptr;   // free space of the newest regular chunk: [cursor, end)
  char* end = nullptr;
  std::size_t next_chunk = kFirstChunk;
  std::size_t reserved = 0;  // bytes of every chunk, headers included; never above limit
  std::size_t limit = 0;
  std::jmp_buf overflow;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    while (chunks != nullptr) {
      Chunk* next = chunks->next;
      std::free(chunks);
      chunks = next;
    }
  }

  // A new chunk of `size` bytes (header included), or nullptr past the budget or malloc's.
  Chunk* add_chunk(std::size_t size) {
    if (size > limit - reserved) return nullptr;
    auto* chunk = static_cast<Chunk*>(std::malloc(size));
    if (chunk == nullptr) return nullptr;
    chunk->next = chunks;
    chunk->size = size;
    chunks = chunk;
    reserved += size;
    return chunk;
  }

  // nullptr when the budget is spent.
  void* allocate(std::size_t size) {
    if (size > limit) return nullptr;  // also keeps the rounding below from overflowing
    size = size == 0 ? kAlign : (size + kAlign - 1) & ~(kAlign - 1);
    if (size <= static_cast<std::size_t>(end - cursor)) {
      void* p = cursor;
      cursor += size;
      return p;
    }
    const std::size_t needed = sizeof(Chunk) + size;
    if (needed > next_chunk / 4) {
      // Big (a long text or attribute value): a chunk of its own; the current one stays open.
      Chunk* chunk = add_chunk(needed);
      return chunk == nullptr ? nullptr : chunk + 1;
    }
    // A fresh regular chunk, growing geometrically; what is left of the old one is given up
    // (less than this request, which is under a quarter of the new chunk). Near the budget, only
    // what is still allowed.
    std::size_t chunk_size = std::min(next_chunk, limit - reserved);
    if (chunk_size < needed) chunk_size = needed;
    Chunk* chunk = add_chunk(chunk_size);
    if (chunk == nullptr) return nullptr;
    next_chunk = std::min(next_chunk * 2, kMaxChunk);
    cursor = reinterpret_cast<char*>(chunk + 1) + size;
    end = reinterpret_cast<char*>(chunk) + chunk_size;
    return chunk + 1;
  }
};

void* arena_alloc(void* userdata, std::size_t size) {
  auto* arena = static_cast<Arena*>(userdata);
  void* p = arena->allocate(size);
  // gumbo cannot handle a failed allocation, so leave the parse altogether. Only C frames of
  // gumbo lie between here and the setjmp in run_parse(): nothing is skipped that owns anything
  // not in the arena.
  if (p == nullptr) std::longjmp(arena->overflow, 1);
  return p;
}

// Freed memory is not reused; it goes with the arena.
void arena_free(void*, void*) {}

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
  Arena arena;  // owns every node; the GumboOutput itself lies in it
  GumboOutput* output = nullptr;
};

std::size_t html_cut_point(std::string_view html, const HtmlLimits& limits) {
  std::size_t end = std::min(html.size(), limits.max_bytes);
  std::size_t tags = 0;
  // Counted a block at a time (std::count vectorises), byte by byte only in the block where the
  // limit is passed.
  constexpr std::size_t kBlock = 4096;
  for (std::size_t block = 0; block < end; block += kBlock) {
    const auto first = html.begin() + static_cast<std::ptrdiff_t>(block);
    const auto last = html.begin() + static_cast<std::ptrdiff_t>(std::min(end, block + kBlock));
    const auto n = static_cast<std::size_t>(std::count(first, last, '<'));
    if (tags + n <= limits.max_tags) {
      tags += n;
      continue;
    }
    for (std::size_t i = block;; ++i) {
      if (html[i] == '<' && ++tags > limits.max_tags) return i;
    }
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

std::size_t HtmlTree::memory_bytes() const {
  return impl_->arena.reserved;
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
