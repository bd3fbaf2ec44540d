#pragma once
// Internal to the article stage: text extraction shared by html_to_text and normalize_title.
#include <string>
#include <string_view>

namespace feedd::article::detail {

// Folds every run of white space (ASCII, NBSP, U+3000 and the other Unicode Zs spaces, NEL,
// U+2028/2029) to one ASCII space and trims both ends. Invalid UTF-8 bytes are copied as they
// are.
std::string fold_space(std::string_view text);

// Concatenated text of `html` parsed by gumbo as a fragment in <div> context: entities decoded,
// comments and the content of script/style/template dropped. With `separate_blocks`, block
// elements and <br> are surrounded by spaces so that words in adjacent blocks stay apart.
// White space is not folded. Input past lib::HtmlLimits is cut first.
std::string fragment_text(std::string_view html, bool separate_blocks);

}  // namespace feedd::article::detail
