#pragma once
// ASCII case folding for protocol tokens, tag names and keywords. Only A-Z and a-z are folded:
// the current C locale never matters (a Turkish one would fold 'I' to a dotless i), and bytes
// of UTF-8 sequences pass through unchanged. Pure, never throw (except std::bad_alloc).
#include <algorithm>
#include <string>
#include <string_view>

namespace feedd {

// `c` with A-Z mapped to a-z; every other byte as it is.
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Every A-Z byte of `s` replaced by its a-z letter, in place.
inline void ascii_lower_in_place(std::string& s) {
  for (char& c : s)
    c = ascii_lower(c);
}

// A copy of `s` with A-Z mapped to a-z.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  ascii_lower_in_place(out);
  return out;
}

// Whether `a` and `b` are equal once ASCII letters are folded (the same length, byte by byte).
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

}  // namespace feedd
