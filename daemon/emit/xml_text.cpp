#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "emit/emit.hpp"

namespace feedd::emit {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// XML 1.0 §2.2 Char, for code points a well-formed UTF-8 sequence can carry.
bool is_xml_char(char32_t cp) {
  if (cp < 0x20) return cp == 0x09 || cp == 0x0A || cp == 0x0D;
  return cp != 0xFFFE && cp != 0xFFFF;
}

}  // namespace

std::string xml_safe_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (is_xml_char(lead)) out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    // The second byte's range excludes overlong forms, surrogates and values past U+10FFFF
    // (RFC 3629 §4), so every sequence that completes below is a valid scalar value.
    std::size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    char32_t cp = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      cp = lead & 0x0F;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      cp = lead & 0x07;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    }
    std::size_t taken = 1;
    bool ok = length != 0;
    while (ok && taken < length) {
      if (i + taken >= text.size()) {
        ok = false;
        break;
      }
      const auto c = static_cast<unsigned char>(text[i + taken]);
      const bool in_range = taken == 1 ? (c >= lo && c <= hi) : is_continuation(c);
      if (!in_range) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (c & 0x3F);
      ++taken;
    }
    if (!ok) {
      // One U+FFFD per maximal ill-formed subpart (Unicode §3.9 "best practice").
      out.append(kReplacement);
    } else if (is_xml_char(cp)) {
      out.append(text.substr(i, length));
    }
    i += taken;
  }
  return out;
}

}  // namespace feedd::emit
