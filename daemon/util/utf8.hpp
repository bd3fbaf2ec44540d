#pragma once
// Cutting UTF-8 text to a byte budget without splitting a character. Pure; no allocation.
#include <cstddef>
#include <string_view>

namespace feedd::util {

// The longest prefix of `s` of at most `max` bytes that does not end inside a UTF-8 sequence
// (continuation bytes are backed over). Invalid UTF-8 is cut the same way, never read past.
constexpr std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.substr(0, n);
}

}  // namespace feedd::util
