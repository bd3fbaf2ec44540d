#pragma once
// Escaping of text for HTML and XML output. One definition for every stage that writes markup
// by hand (the parse stage's XHTML serialiser, the article rewriter, the status page).
#include <string>
#include <string_view>

namespace feedd {

enum class Escape {
  kText,        // & < >: element content
  kAttribute,   // & < > ": a double-quoted attribute value (< and > too, so a lax reader
                // never sees markup in it)
  kAnyQuoting,  // & < > " ': text, or an attribute value in either kind of quotes
};

// Appends `s` to `out` with the characters `what` names replaced by entity references. Bytes
// are otherwise copied as they are (UTF-8 passes through). Never throws but std::bad_alloc.
void append_escaped(std::string& out, std::string_view s, Escape what);

}  // namespace feedd
