#include "util/markup.hpp"

namespace feedd {

void append_escaped(std::string& out, std::string_view s, Escape what) {
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += what == Escape::kText ? "\"" : "&quot;";
        break;
      case '\'':
        out += what == Escape::kAnyQuoting ? "&#39;" : "'";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace feedd
