#include "lib/iconv/iconv.hpp"

#include <iconv.h>

#include <boost/locale/utf.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace feedd::lib {
namespace {

iconv_t handle(void* cd) {
  return static_cast<iconv_t>(cd);
}
// Writes `s` at `used` in a buffer whose size is its capacity; amortised O(|s|).
void put(std::string& buf, std::size_t& used, std::string_view s) {
  if (buf.size() - used < s.size()) buf.resize(buf.size() * 2 + s.size());
  std::copy(s.begin(), s.end(), buf.begin() + static_cast<std::ptrdiff_t>(used));
  used += s.size();
}

// glibc's UTF-8 decoder still accepts the forms RFC 3629 removed: code points above U+10FFFF in
// four, five or six bytes ("\xF8\x88\x80\x80\x80" comes out unchanged). They are not Unicode
// and strict readers (XML parsers, YAML, Python) reject them, so the output is checked
// again and each byte of a sequence Boost.Locale's strict decoder refuses is replaced, the way
// convert() replaces what iconv refuses. One pass; the text is copied only when it changes.
void replace_non_unicode(Iconv::Output& out, std::string_view replacement) {
  using Utf8 = boost::locale::utf::utf_traits<char>;
  const std::string& text = out.text;
  std::string fixed;
  std::size_t copied = 0;  // text[0, copied) is in `fixed` already
  for (auto p = text.begin(); p != text.end();) {
    const auto start = p;
    const auto c = Utf8::decode(p, text.end());
    if (c != boost::locale::utf::illegal && c != boost::locale::utf::incomplete) continue;
    const auto at = static_cast<std::size_t>(start - text.begin());
    fixed.append(text, copied, at - copied);
    fixed.append(replacement);
    ++out.replaced;
    copied = at + 1;
    p = start + 1;
  }
  if (copied == 0) return;
  fixed.append(text, copied);
  out.text = std::move(fixed);
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  using Utf8 = boost::locale::utf::utf_traits<char>;
  static constexpr std::uint64_t kHighBits = 0x8080808080808080u;
  const auto byte = [](const char* q) { return static_cast<unsigned char>(*q); };
  const auto cont = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  const char* p = text.data();
  const char* const end = p + text.size();
  // Text alternates between runs of ASCII (markup, Latin words) and runs of other characters
  // (a CJK sentence); each kind of run has its own loop, so neither tests for the other kind
  // at every character.
  while (p != end) {
    for (std::uint64_t word = 0; end - p >= 8; p += 8) {  // ASCII, eight bytes at a time
      std::memcpy(&word, p, sizeof word);
      if ((word & kHighBits) != 0) break;
    }
    while (p != end && byte(p) < 0x80)
      ++p;
    while (p != end && byte(p) >= 0x80) {
      // The two shapes of nearly all non-ASCII text (Latin, Greek or Cyrillic letters in two
      // bytes, CJK in three), taken without decoding: every lead C2-DF with one continuation
      // byte, and every lead E1-EC or EE-EF with two, is a valid scalar value. Whatever else
      // (E0 and ED with their narrower second byte, four-byte forms, invalid bytes) Boost judges.
      const unsigned char b0 = byte(p);
      if (b0 >= 0xE1 && b0 <= 0xEF && b0 != 0xED && end - p >= 3 && cont(p[1]) && cont(p[2])) {
        p += 3;
      } else if (b0 >= 0xC2 && b0 <= 0xDF && end - p >= 2 && cont(p[1])) {
        p += 2;
      } else {
        const auto c = Utf8::decode(p, end);
        if (c == boost::locale::utf::illegal || c == boost::locale::utf::incomplete) return false;
      }
    }
  }
  return true;
}

std::optional<Iconv> Iconv::open(const std::string& to, const std::string& from) {
  // glibc reads "" as the locale's charset: a hidden global input we never want.
  if (to.empty() || from.empty()) return std::nullopt;
  iconv_t cd = iconv_open(to.c_str(), from.c_str());
  // iconv_open's documented failure value. NOLINTNEXTLINE(performance-no-int-to-ptr)
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  return Iconv(static_cast<void*>(cd));
}

Iconv::Iconv(Iconv&& other) noexcept : cd_(std::exchange(other.cd_, nullptr)) {}

Iconv& Iconv::operator=(Iconv&& other) noexcept {
  if (this != &other) {
    if (cd_ != nullptr) iconv_close(handle(cd_));
    cd_ = std::exchange(other.cd_, nullptr);
  }
  return *this;
}

Iconv::~Iconv() {
  if (cd_ != nullptr) iconv_close(handle(cd_));
}

Iconv::Output Iconv::convert(std::string_view in, std::string_view replacement) {
  Output out;
  if (cd_ == nullptr) return out;
  iconv(handle(cd_), nullptr, nullptr, nullptr, nullptr);
  // iconv's interface takes char** for input it never writes.
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  // Grows geometrically, so the total work stays linear in the input.
  out.text.resize(in.size() + in.size() / 2 + 16);
  std::size_t used = 0;
  // iconv is handed a bounded window, not the whole rest: after every invalid byte it is called
  // again, and anything that looks at its whole input per call (sanitizers' interceptors do)
  // would otherwise make hostile input quadratic.
  static constexpr std::size_t kWindow = 4096;
  while (src_left > 0) {
    char* dst = out.text.data() + used;
    std::size_t dst_left = out.text.size() - used;
    const std::size_t window = std::min(src_left, kWindow);
    std::size_t window_left = window;
    const std::size_t rc = iconv(handle(cd_), &src, &window_left, &dst, &dst_left);
    used = out.text.size() - dst_left;
    const bool last_window = window == src_left;
    src_left -= window - window_left;
    if (rc != static_cast<std::size_t>(-1)) continue;
    if (errno == E2BIG) {
      out.text.resize(out.text.size() * 2);
    } else if (errno == EILSEQ) {
      put(out.text, used, replacement);
      ++src;
      --src_left;
      ++out.replaced;
      iconv(handle(cd_), nullptr, nullptr, nullptr, nullptr);
    } else if (!last_window) {
      // EINVAL at the window's edge: the sequence continues in the next window.
    } else {  // EINVAL: the input ends inside a multi-byte sequence
      put(out.text, used, replacement);
      ++out.replaced;
      break;
    }
  }
  out.text.resize(used);
  iconv(handle(cd_), nullptr, nullptr, nullptr, nullptr);
  return out;
}

std::optional<Iconv::Output> to_utf8(std::string_view in, const std::string& charset) {
  // Nearly every feed is valid UTF-8 already: one validating pass instead of a conversion
  // through iconv's internal UCS-4 and back (which is the identity on valid input).
  if (charset == "UTF-8" && is_valid_utf8(in)) return Iconv::Output{std::string(in), 0};
  auto cd = Iconv::open("UTF-8", charset);
  if (!cd) return std::nullopt;
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  auto out = cd->convert(in, kReplacement);
  replace_non_unicode(out, kReplacement);
  return out;
}

std::string iconv_charset(std::string_view label) {
  static constexpr std::size_t kMaxLabel = 40;
  const bool plain = !label.empty() && label.size() <= kMaxLabel &&
                     std::all_of(label.begin(), label.end(), [](char c) {
                       return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') ||
                              std::string_view("-_.:+()").find(c) != std::string_view::npos;
                     });
  if (!plain) return {};
  std::string cs(label);
  std::transform(cs.begin(), cs.end(), cs.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (cs == "UTF8") return "UTF-8";
  if (cs == "GB2312" || cs == "GBK" || cs == "X-GBK" || cs == "CP936" || cs == "EUC-CN" ||
      cs == "GB_2312-80" || cs == "CSGB2312") {
    return "GB18030";  // its superset; real "GB2312" feeds use GBK characters
  }
  if (cs == "ISO-8859-1" || cs == "LATIN1" || cs == "US-ASCII" || cs == "ASCII") {
    return "WINDOWS-1252";
  }
  return cs;
}

bool known_charset(std::string_view label) {
  return Iconv::open("UTF-8", iconv_charset(label)).has_value();
}

}  // namespace feedd::lib
