#pragma once
// Internal to the article stage: text extraction shared by html_to_text, normalize_title and
// rewrite_html (which takes its summary from a tree it has parsed anyway), and the title hash.
#include <gumbo.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace feedd::article::detail {

// Folds every run of white space (ASCII, NBSP, U+3000 and the other Unicode Zs spaces, NEL,
// U+2028/2029) to one ASCII space and trims both ends. Invalid UTF-8 bytes are copied as they
// are.
std::string fold_space(std::string_view text);

// fold_space() over text that comes in pieces, appended to `out`: the same result as folding
// their concatenation, as long as no piece ends inside a UTF-8 sequence (gumbo's text never
// does). `out` must outlive the folder and be written by nothing else meanwhile.
class TextFolder {
 public:
  explicit TextFolder(std::string& out) : out_(out) {}
  // Folds `text` onto `out`; stops once `out` is longer than `enough` bytes (what it has then is
  // a prefix of the whole fold).
  void add(std::string_view text, std::size_t enough = std::string::npos);

 private:
  std::string& out_;
  bool pending_ = false;
};

// Concatenated text of `html` parsed by gumbo as a fragment in <div> context: entities decoded,
// comments and the content of script/style/template dropped. With `separate_blocks`, block
// elements and <br> are surrounded by spaces so that words in adjacent blocks stay apart.
// White space is not folded. Input past lib::HtmlLimits is cut first.
std::string fragment_text(std::string_view html, bool separate_blocks);

// True when `text` is plain text to gumbo, so that fragment_text(text, …) is `text` itself: only
// printable ASCII but '<' and '&', and well-formed UTF-8 of code points gumbo keeps as they are
// (U+00A0 to U+FFFD without surrogates, noncharacters and U+FEFF; nothing beyond the BMP).
// Narrow on purpose: what it refuses goes through gumbo. tests/article/title_test.cpp proves it.
bool is_plain_text(std::string_view text);

// fold_space() of the text of the nodes under `container` (the text fragment_text gives when
// `container` is the root of its tree; `container` itself adds no block space). Stops once the
// result is longer than `enough` bytes: what it has then is a prefix of the whole, long enough
// for summary_of(…, max_bytes) with max_bytes <= enough.
std::string folded_text(const GumboNode* container, bool separate_blocks, std::size_t enough);

// html_to_text's cut of a folded text: `text` itself when it fits in `max_bytes`, else cut at a
// UTF-8 boundary, trailing spaces dropped, "…" appended, within `max_bytes`.
std::string summary_of(std::string text, std::size_t max_bytes);

// title_hash(title) from normalize_title(title), which make_article has anyway.
std::string normalized_title_hash(std::string_view normalized);

}  // namespace feedd::article::detail
