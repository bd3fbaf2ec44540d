#include "lib/myhtml/fragment.hpp"

#include <cassert>
#include <csetjmp>
#include <new>
#include <utility>

namespace feedd::lib {
namespace {

// A tree that held more nodes than this is destroyed after use rather than cleaned and kept:
// myhtml keeps a cleaned tree's pools at their high-water mark.
constexpr std::size_t kKeepTreeNodes = 20'000;

// The calling thread's parser and its spare tree.
class ThreadParser {
 public:
  ThreadParser() {
    parser_ = myhtml_create();
    if (parser_ == nullptr ||
        myhtml_init(parser_, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0) != MyHTML_STATUS_OK) {
      if (parser_ != nullptr) myhtml_destroy(parser_);
      throw std::bad_alloc();
    }
  }
  ~ThreadParser() {
    if (spare_ != nullptr) myhtml_tree_destroy(spare_);
    myhtml_destroy(parser_);
  }
  ThreadParser(const ThreadParser&) = delete;
  ThreadParser& operator=(const ThreadParser&) = delete;

  // A clean tree of this thread's parser: the spare one, else a new one.
  myhtml_tree_t* take() {
    if (myhtml_tree_t* tree = std::exchange(spare_, nullptr)) return tree;
    myhtml_tree_t* tree = myhtml_tree_create();
    if (tree == nullptr) throw std::bad_alloc();
    if (myhtml_tree_init(tree, parser_) != MyHTML_STATUS_OK) {
      myhtml_tree_destroy(tree);
      throw std::bad_alloc();
    }
    return tree;
  }

  // Takes `tree` back (a tree of this thread's parser): kept as the spare when `reuse` and
  // there is none yet, else destroyed.
  void give_back(myhtml_tree_t* tree, bool reuse) {
    if (reuse && spare_ == nullptr) {
      myhtml_tree_clean(tree);
      spare_ = tree;
    } else {
      myhtml_tree_destroy(tree);
    }
  }

  myhtml_t* parser() const { return parser_; }

 private:
  myhtml_t* parser_ = nullptr;
  myhtml_tree_t* spare_ = nullptr;
};

ThreadParser& thread_parser() {
  thread_local ThreadParser parser;
  return parser;
}

// The node budget of one parse. Plain data: longjmp leaves through it.
struct Budget {
  std::size_t nodes = 0;
  std::size_t max_nodes = 0;
  std::jmp_buf over;
};

void count_node(myhtml_tree_t*, myhtml_tree_node_t*, void* ctx) {
  auto* budget = static_cast<Budget*>(ctx);
  // Leaves myhtml (C, no cleanup on the way) mid-parse; the caller destroys the tree.
  if (++budget->nodes > budget->max_nodes) std::longjmp(budget->over, 1);
}

// Kept free of objects with destructors: longjmp lands here. False when over budget or failed.
bool run_parse(myhtml_tree_t* tree, Budget* budget, const char* data, std::size_t size,
               myhtml_tag_id_t context) {
  if (setjmp(budget->over) != 0) return false;
  return myhtml_parse_fragment_single(tree, MyENCODING_UTF_8, data, size, context,
                                      MyHTML_NAMESPACE_HTML) == MyHTML_STATUS_OK;
}

}  // namespace

std::optional<HtmlFragment> HtmlFragment::parse(std::string_view html,
                                                const FragmentOptions& options) {
  ThreadParser& parser = thread_parser();
  myhtml_tree_t* tree = parser.take();
  Budget budget;
  budget.max_nodes = options.max_nodes != 0 ? options.max_nodes : kBaseNodes + html.size() / 16;
  myhtml_callback_tree_node_insert_set(tree, &count_node, &budget);
  const bool ok = run_parse(tree, &budget, html.data(), html.size(), options.context);
  // The budget goes with this frame: no later insert may find the callback.
  myhtml_callback_tree_node_insert_set(tree, nullptr, nullptr);
  if (!ok) {
    parser.give_back(tree, false);  // possibly left mid-parse: never reused
    return std::nullopt;
  }
  return HtmlFragment(tree, budget.nodes);
}

HtmlFragment::HtmlFragment(HtmlFragment&& other) noexcept
    : tree_(std::exchange(other.tree_, nullptr)), nodes_(other.nodes_) {}

HtmlFragment& HtmlFragment::operator=(HtmlFragment&& other) noexcept {
  if (this != &other) {
    release();
    tree_ = std::exchange(other.tree_, nullptr);
    nodes_ = other.nodes_;
  }
  return *this;
}

HtmlFragment::~HtmlFragment() {
  release();
}

void HtmlFragment::release() {
  if (tree_ == nullptr) return;
  ThreadParser& parser = thread_parser();
  // A tree is tied to the parser that built it: destroyed elsewhere it would be given back to
  // another thread's parser.
  const bool ours = myhtml_tree_get_myhtml(tree_) == parser.parser();
  assert(ours);
  parser.give_back(std::exchange(tree_, nullptr), ours && nodes_ <= kKeepTreeNodes);
}

myhtml_tree_node_t* HtmlFragment::root() const {
  return myhtml_tree_get_node_html(tree_);
}

std::string_view element_name(myhtml_tree_t* tree, const myhtml_tree_node_t* node) {
  const myhtml_tag_id_t id = myhtml_node_tag_id(const_cast<myhtml_tree_node_t*>(node));
  if (id == MyHTML_TAG__TEXT || id == MyHTML_TAG__COMMENT || id == MyHTML_TAG__DOCTYPE ||
      id == MyHTML_TAG__UNDEF) {
    return {};
  }
  std::size_t length = 0;
  const char* name = myhtml_tag_name_by_id(tree, id, &length);
  return name == nullptr ? std::string_view{} : std::string_view(name, length);
}

}  // namespace feedd::lib
