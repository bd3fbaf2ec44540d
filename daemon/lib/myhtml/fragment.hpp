#pragma once
// RAII ownership of one myhtml parse of an HTML fragment, with the limit myhtml lacks.
//
// myhtml (Debian's libmodest) builds the HTML5 tree about five times as fast as gumbo, which is
// why article bodies are parsed with it. It has no memory limit, and the list of active
// formatting elements lets a few KB of markup clone ~10^5 nodes (`<p><b id=1>…<b id=300></p>`
// then `<p>x</p>` 300 times: 90,000 nodes from 5 KB). So every parse counts the nodes the tree
// builder inserts and is abandoned past a budget: the tree is then destroyed, never reused.
//
// Each thread keeps its own parser and one tree between parses (myhtml_tree_clean), so a parse
// allocates almost nothing; a tree that grew big is destroyed instead, so no thread holds on to
// the memory of its largest article.
#include <myhtml/api.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace feedd::lib {

struct FragmentOptions {
  // The element the fragment is parsed in (as innerHTML would be).
  myhtml_tag_id_t context = MyHTML_TAG_DIV;
  // Nodes the tree may hold; past it parse() gives nullopt. 0 = kBaseNodes + input bytes / 16
  // (~240 bytes a node: ~25 MB for a short article, ~90 MB at HtmlLimits' 4 MiB). Real articles
  // hold about one node per 50 bytes.
  std::size_t max_nodes = 0;
};

// One parsed fragment. Move-only. Its nodes stay valid while it lives; they do not point into
// the input. Threading: parse() is thread-safe (each thread has its own parser); a fragment must
// be destroyed on the thread that parsed it, before that thread exits (asserted). Never throws
// except std::bad_alloc.
class HtmlFragment {
 public:
  static constexpr std::size_t kBaseNodes = 100'000;

  // Parses `html` (UTF-8) as the content of options.context in the HTML namespace. nullopt
  // when the tree would exceed options.max_nodes (only pathological markup does) or myhtml
  // reports an error.
  static std::optional<HtmlFragment> parse(std::string_view html,
                                           const FragmentOptions& options = {});

  HtmlFragment(HtmlFragment&& other) noexcept;
  HtmlFragment& operator=(HtmlFragment&& other) noexcept;
  HtmlFragment(const HtmlFragment&) = delete;
  HtmlFragment& operator=(const HtmlFragment&) = delete;
  ~HtmlFragment();

  // The <html> element whose children are the fragment's top-level nodes.
  myhtml_tree_node_t* root() const;
  myhtml_tree_t* tree() const { return tree_; }
  // Nodes the tree builder inserted.
  std::size_t nodes() const { return nodes_; }

 private:
  HtmlFragment(myhtml_tree_t* tree, std::size_t nodes) : tree_(tree), nodes_(nodes) {}
  void release();

  myhtml_tree_t* tree_ = nullptr;
  std::size_t nodes_ = 0;
};

// Lower-case name of an element (unknown ones included) or "" for text, comments and doctypes.
std::string_view element_name(myhtml_tree_t* tree, const myhtml_tree_node_t* node);

}  // namespace feedd::lib
