// xml_safe_text and the escaping appenders of xml_writer.hpp: one scanner, three modes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "emit/emit.hpp"
#include "emit/xml_writer.hpp"

namespace feedd::emit {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

enum class Mode { kSafe, kText, kAttribute };

// What the scanner does with a byte.
enum Class : std::uint8_t {
  kCopy,    // part of a run appended as it is
  kDrop,    // a C0 control outside XML 1.0 Char
  kEscape,  // markup: written as a reference
  kUtf8,    // starts a multi-byte sequence (or is a stray byte): checked by utf8_step
};

constexpr std::array<std::uint8_t, 256> class_table(Mode mode) {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c >= 0x80) {
      t[c] = kUtf8;
    } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      t[c] = kDrop;
    } else {
      t[c] = kCopy;
    }
  }
  if (mode == Mode::kText) {
    t['&'] = t['<'] = t['>'] = kEscape;
  } else if (mode == Mode::kAttribute) {
    t['&'] = t['<'] = t['"'] = t['\t'] = t['\n'] = t['\r'] = kEscape;
  }
  return t;
}

template <Mode M>
constexpr std::array<std::uint8_t, 256> kClasses = class_table(M);

// pugixml's references (text_output_escaped): two-digit decimal ones for the whitespace an
// attribute value must keep.
std::string_view reference(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\t':
      return "&#09;";
    case '\n':
      return "&#10;";
    default:  // '\r'
      return "&#13;";
  }
}

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

enum class Action { kKeep, kDrop, kReplace };
struct Step {
  std::size_t taken;  // bytes consumed
  Action action;
};

// The UTF-8 sequence at s[0] (s[0] >= 0x80, `avail` bytes left). The second byte's range
// excludes overlong forms, surrogates and values past U+10FFFF (RFC 3629 §4), so a sequence
// that completes is a valid scalar value >= U+0080, of which only U+FFFE and U+FFFF fall
// outside XML 1.0 Char. An ill-formed one is replaced by one U+FFFD per maximal ill-formed
// subpart (Unicode §3.9 "best practice"): the bytes that were a valid prefix.
inline Step utf8_step(const unsigned char* s, std::size_t avail) {
  const unsigned char lead = s[0];
  std::size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return {1, Action::kReplace};
  }
  if (avail < 2 || s[1] < lo || s[1] > hi) return {1, Action::kReplace};
  for (std::size_t k = 2; k < length; ++k) {
    if (k >= avail || !is_continuation(s[k])) return {k, Action::kReplace};
  }
  if (lead == 0xEF && s[1] == 0xBF && s[2] >= 0xBE) return {3, Action::kDrop};  // U+FFFE/F
  return {length, Action::kKeep};
}

std::uint64_t load8(const unsigned char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

// Whether some byte of `v` is zero; false positives only in bytes above a zero one, so the
// answer for the whole word is exact.
constexpr bool has_zero(std::uint64_t v) {
  return ((v - kOnes) & ~v & kHighs) != 0;
}

// Whether one of the eight bytes in `v` may be other than kCopy in mode M: non-ASCII, below
// 0x20 (tab, LF and CR too: rare, and then the table decides), or markup.
template <Mode M>
constexpr bool needs_look(std::uint64_t v) {
  // A byte below 0x20 has its top three bits clear; with the high bit this test is exact.
  const bool low = has_zero(v & (0xE0 * kOnes));
  bool markup = false;
  if constexpr (M == Mode::kText) {
    markup =
        has_zero(v ^ ('&' * kOnes)) || has_zero(v ^ ('<' * kOnes)) || has_zero(v ^ ('>' * kOnes));
  } else if constexpr (M == Mode::kAttribute) {
    markup =
        has_zero(v ^ ('&' * kOnes)) || has_zero(v ^ ('<' * kOnes)) || has_zero(v ^ ('"' * kOnes));
  }
  return (v & kHighs) != 0 || low || markup;
}

inline bool is_plain_three(const unsigned char* p) {
  const unsigned char lead = p[0];
  // (b ^ 0x80) < 0x40 for a continuation byte 80–BF.
  return lead >= 0xE1 && lead <= 0xEF && lead != 0xED && !(lead == 0xEF && p[1] == 0xBF) &&
         ((p[1] ^ 0x80) | (p[2] ^ 0x80)) < 0x40;
}

// is_plain_three for the five sequences at p[0..15) (reads 16 bytes).
inline bool five_plain_three(const unsigned char* p) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const auto mask = [](__m128i m) { return static_cast<unsigned>(_mm_movemask_epi8(m)); };
  const auto byte = [](int b) { return _mm_set1_epi8(static_cast<char>(b)); };
  // Continuation bytes 80–BF are, as signed bytes, below -64 (0xC0).
  const unsigned cont = mask(_mm_cmplt_epi8(v, byte(0xC0)));
  // Leads E1–EF: b - 0xE1 below 15 unsigned, i.e. (b - 0xE1) ^ 0x80 below -128 + 15 signed.
  const __m128i shifted = _mm_xor_si128(_mm_sub_epi8(v, byte(0xE1)), byte(0x80));
  const unsigned lead =
      mask(_mm_cmplt_epi8(shifted, byte(-128 + 15))) & ~mask(_mm_cmpeq_epi8(v, byte(0xED)));
  // EF BF is where U+FFFE and U+FFFF live.
  const unsigned ef_bf =
      (mask(_mm_cmpeq_epi8(v, byte(0xEF))) << 1) & mask(_mm_cmpeq_epi8(v, byte(0xBF)));
  constexpr unsigned kLeads = 0x1249;  // bytes 0, 3, 6, 9, 12
  constexpr unsigned kConts = 0x6DB6;  // bytes 1, 2, 4, 5, 7, 8, 10, 11, 13, 14
  return (lead & kLeads) == kLeads && (cont & kConts) == kConts && (ef_bf & kConts) == 0;
#else
  return is_plain_three(p) && is_plain_three(p + 3) && is_plain_three(p + 6) &&
         is_plain_three(p + 9) && is_plain_three(p + 12);
#endif
}

// Appends `text` sanitised and, unless kSafe, escaped. Bytes to keep accumulate as a run
// [run, i) that is appended at once when a byte needs something else, or at the end.
template <Mode M>
void append(std::string& out, std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  const auto& classes = kClasses<M>;
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t cls = classes[s[i]];
    if (cls == kCopy) {
      ++i;
      // Then eight bytes at a time through ASCII that needs nothing (markup, URLs).
      while (i + 8 <= n && !needs_look<M>(load8(s + i)))
        i += 8;
      continue;
    }
    if (cls == kUtf8) {
      // Runs of the common three-byte sequences (CJK, fullwidth punctuation) first: leads
      // E1–EC, EE and EF need no range check on their second byte, and only EF BF BE/BF
      // (U+FFFE, U+FFFF) among them leave XML 1.0 Char.
      while (i + 16 <= n && five_plain_three(s + i))
        i += 15;
      while (i + 2 < n && is_plain_three(s + i))
        i += 3;
      if (i == n || classes[s[i]] != kUtf8) continue;
      const Step step = utf8_step(s + i, n - i);
      if (step.action == Action::kKeep) {
        i += step.taken;
        continue;
      }
      out.append(text.data() + run, i - run);
      if (step.action == Action::kReplace) out.append(kReplacement);
      i += step.taken;
      run = i;
      continue;
    }
    out.append(text.data() + run, i - run);
    if (cls == kEscape) out.append(reference(text[i]));
    run = ++i;
  }
  out.append(text.data() + run, n - run);
}

}  // namespace

std::string xml_safe_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append<Mode::kSafe>(out, text);
  return out;
}

void append_xml_text(std::string& out, std::string_view text) {
  append<Mode::kText>(out, text);
}

void append_xml_attribute(std::string& out, std::string_view value) {
  append<Mode::kAttribute>(out, value);
}

}  // namespace feedd::emit
