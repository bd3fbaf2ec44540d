#pragma once
// RAII wrapper of POSIX iconv(3). No raw iconv_t outside this folder.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace feedd::lib {

// One conversion descriptor, closed on destruction. Movable, not copyable. An instance keeps
// shift state, so it must not be shared between threads; separate instances are independent.
// Never throws except std::bad_alloc.
class Iconv {
 public:
  struct Output {
    std::string text;
    std::size_t replaced = 0;  // invalid or incomplete input sequences replaced
  };

  // nullopt when the system's iconv does not know `to` or `from`, or either is empty.
  static std::optional<Iconv> open(const std::string& to, const std::string& from);

  Iconv(Iconv&& other) noexcept;
  Iconv& operator=(Iconv&& other) noexcept;
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  ~Iconv();

  // Converts all of `in`. Each undecodable input byte is skipped and `replacement` (already in
  // the target charset) written in its place; an incomplete sequence at the end is replaced
  // once. Linear in the input. Resets the shift state before and after.
  Output convert(std::string_view in, std::string_view replacement);

 private:
  explicit Iconv(void* cd) : cd_(cd) {}
  // iconv_t (a pointer in glibc, never null when valid), kept opaque so <iconv.h> stays out of
  // this header; nullptr once moved from.
  void* cd_;
};

// `in` decoded from `charset` into UTF-8, undecodable bytes as U+FFFD. nullopt when iconv
// does not know `charset`. "UTF-8" is accepted and validates (and repairs) UTF-8. The output is
// always valid UTF-8 (RFC 3629): code points above U+10FFFF, which glibc lets through, are
// replaced byte by byte like any other invalid sequence and counted in `replaced`.
std::optional<Iconv::Output> to_utf8(std::string_view in, const std::string& charset);

// Whether `text` is UTF-8 as RFC 3629 defines it (no overlong forms, surrogates or code points
// above U+10FFFF, nothing cut off). When true, to_utf8(text, "UTF-8") returns `text` unchanged
// with nothing replaced. Reads `text` once; copies nothing; thread-safe.
bool is_valid_utf8(std::string_view text);

// The iconv name to decode a charset label with: upper-cased, GB2312/GBK/CP936 → GB18030,
// ISO-8859-1/US-ASCII → WINDOWS-1252 (what such labels mean in practice, as in WHATWG),
// "UTF8" → "UTF-8". "" for anything that is not a plain label (1 to 40 of A-Z, a-z, 0-9 and
// "-_.:+()", as IANA names are), so that no iconv suffix such as "//IGNORE" gets through.
std::string iconv_charset(std::string_view label);

// Whether the system's iconv can decode text labelled `label` (after iconv_charset).
bool known_charset(std::string_view label);

}  // namespace feedd::lib
