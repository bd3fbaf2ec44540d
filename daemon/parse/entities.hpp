#pragma once
// HTML named character references that XML does not define. Thread-safe, never throws.
#include <string_view>

namespace feedd::parse {

// The replacement for `&name;` as UTF-8 (or an XML escape for the few that need one, e.g.
// "AMP" → "&amp;"); empty when `name` is not a known HTML entity. Case-sensitive, like HTML.
std::string_view html_entity(std::string_view name);

}  // namespace feedd::parse
