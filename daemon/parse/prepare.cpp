#include "parse/prepare.hpp"

#include <boost/beast/http/rfc7230.hpp>
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "lib/iconv/iconv.hpp"
#include "parse/entities.hpp"
#include "util/ascii.hpp"

namespace feedd::parse {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// How many times fewer invalid sequences an undeclared charset's decoding must have than
// UTF-8's to be chosen when it has any at all.
constexpr std::size_t kDecisively = 10;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return is_alpha(c) || c == '_' || c == ':';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c) || c == '-' || c == '.' ||
         static_cast<unsigned char>(c) >= 0x80;
}
// C0 controls other than tab, LF and CR are not allowed anywhere in XML 1.0.
constexpr bool is_forbidden_control(char c) {
  return static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

// The bytes char_data() must look at one by one: '&' and '<' (repaired or escaped), the
// forbidden controls (removed) and 0xEF (which may start U+FFFE or U+FFFF). Any other byte is
// copied unchanged, so text is copied a run at a time: feeds are mostly such runs (CDATA HTML
// bodies), and appending them byte by byte made this pass cost more than parsing.
constexpr std::array<bool, 256> kCharDataSpecial = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = c == '&' || c == '<' || c == 0xEF || is_forbidden_control(static_cast<char>(c));
  }
  return t;
}();

// Word-at-a-time tests (eight bytes in a std::uint64_t) for the scans below; each is non-zero
// exactly when some byte of `w` qualifies.
constexpr std::uint64_t kOnes = 0x0101010101010101u;
constexpr std::uint64_t kHighs = 0x8080808080808080u;
constexpr std::uint64_t any_byte_below(std::uint64_t w, unsigned char n) {  // n <= 0x80
  return (w - kOnes * n) & ~w & kHighs;
}
constexpr std::uint64_t any_byte_is(std::uint64_t w, unsigned char b) {
  return any_byte_below(w ^ (kOnes * b), 1);
}

// The first index in [j, end) of a byte `stops` says to stop at; `end` when there is none.
// `maybe(w)` must be non-zero for every word that holds such a byte. Plain runs are skipped
// eight bytes at a time; a word that may hold a stop is looked at byte by byte.
template <class Maybe, class Stops>
std::size_t scan(std::string_view in, std::size_t j, std::size_t end, Maybe maybe, Stops stops) {
  while (j < end) {
    if (end - j >= 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, in.data() + j, sizeof w);
      if (maybe(w) == 0) {
        j += 8;
        continue;
      }
    }
    const std::size_t stop = std::min(end, j + 8);
    while (j < stop && !stops(in[j]))
      ++j;
    if (j < stop) return j;
  }
  return end;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ascii_iequals(s.substr(0, prefix.size()), prefix);
}

bool allowed_code_point(std::uint32_t cp) {
  if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  return cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF;
}

// Printable preview of the first bytes, for error messages about non-XML bodies.
std::string preview(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string r;
  for (unsigned char c : s.substr(0, 12)) {
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      r += static_cast<char>(c);
    } else {
      r += "\\x";
      r += kHex[c >> 4];
      r += kHex[c & 15];
    }
  }
  return r;
}

// What the repair pass changed, reported as warnings so a feed's owner can see why its items
// differ from its bytes.
struct RepairCounts {
  std::size_t html_entities = 0, unknown_entities = 0, raw_amps = 0, raw_lts = 0;
  std::size_t controls = 0, unclosed = 0, stray_ends = 0, unquoted = 0;

  void report(std::vector<std::string>& warnings) const {
    auto note = [&warnings](std::size_t n, std::string_view what) {
      if (n > 0) warnings.push_back("repaired " + std::to_string(n) + " " + std::string(what));
    };
    note(html_entities, "HTML entities");
    note(unknown_entities, "unknown entities kept as text");
    note(raw_amps, "bare '&'");
    note(raw_lts, "bare '<'");
    note(controls, "forbidden control characters");
    note(unclosed, "unclosed elements");
    note(stray_ends, "stray end tags");
    note(unquoted, "unquoted attribute values");
  }
};

// At in[i] == '&': appends to `out` XML's own and valid numeric references as they are, an HTML
// entity's text, and anything else as literal text. Returns the index after what it read.
std::size_t repair_entity(std::string_view in, std::size_t i, std::string& out,
                          RepairCounts& counts) {
  static constexpr std::size_t kMaxName = 32;
  std::size_t j = i + 1;
  if (j < in.size() && in[j] == '#') {
    const bool hex = j + 1 < in.size() && (in[j + 1] == 'x' || in[j + 1] == 'X');
    const std::size_t digits = j + (hex ? 2 : 1);
    std::uint32_t cp = 0;
    const auto [end, ec] = std::from_chars(
        in.data() + digits, in.data() + std::min(in.size(), digits + 10), cp, hex ? 16 : 10);
    const std::size_t k = static_cast<std::size_t>(end - in.data());
    if (ec == std::errc() && k < in.size() && in[k] == ';') {
      if (allowed_code_point(cp)) {
        out.append(in.substr(i, k + 1 - i));
      } else {
        ++counts.controls;
      }
      return k + 1;
    }
  } else {
    while (j < in.size() && j - i <= kMaxName && (is_alpha(in[j]) || is_digit(in[j])))
      ++j;
    if (j > i + 1 && j < in.size() && in[j] == ';' && is_alpha(in[i + 1])) {
      const std::string_view name = in.substr(i + 1, j - i - 1);
      if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") {
        out.append(in.substr(i, j + 1 - i));
      } else if (const auto text = html_entity(name); !text.empty()) {
        out.append(text);
        ++counts.html_entities;
      } else {
        // Undefined (or DTD-defined, which we never expand): literal text.
        out += "&amp;";
        out.append(name);
        out += ';';
        ++counts.unknown_entities;
      }
      return j + 1;
    }
  }
  out += "&amp;";
  ++counts.raw_amps;
  return i + 1;
}

struct Doctype {
  std::size_t end = 0;  // index after its '>'
  std::string_view name;
  bool subset = false;  // had an internal subset, which is never read
};

// At "<!DOCTYPE" (9 bytes) at in[i]; nullopt when the input ends inside it.
std::optional<Doctype> scan_doctype(std::string_view in, std::size_t i) {
  Doctype d;
  std::size_t j = i + 9;
  while (j < in.size() && is_space(in[j]))
    ++j;
  const std::size_t name_start = j;
  while (j < in.size() && !is_space(in[j]) && in[j] != '>' && in[j] != '[')
    ++j;
  d.name = in.substr(name_start, j - name_start);
  bool in_subset = false;
  while (j < in.size()) {
    const char c = in[j];
    if (c == '"' || c == '\'') {
      j = in.find(c, j + 1);
      if (j == std::string_view::npos) return std::nullopt;
    } else if (in_subset && in.substr(j, 4) == "<!--") {
      j = in.find("-->", j + 4);
      if (j == std::string_view::npos) return std::nullopt;
      j += 2;
    } else if (c == '[') {
      in_subset = true;
      d.subset = true;
    } else if (c == ']') {
      in_subset = false;
    } else if (c == '>' && !in_subset) {
      d.end = j + 1;
      return d;
    }
    ++j;
  }
  return std::nullopt;
}

// The repair pass. Reads `in_` once, writes `out_`; any construct the input ends inside is
// rolled back, so `out_` always holds complete markup.
class Repairer {
 public:
  explicit Repairer(std::string_view in) : in_(in) { out_.reserve(in.size() + in.size() / 8 + 64); }

  void run() {
    while (i_ < in_.size() && error_.empty()) {
      if (in_[i_] == '<') {
        const std::size_t start = i_;
        const std::size_t mark = out_.size();
        if (!markup()) {
          out_.resize(mark);
          // Only a cut inside the root loses anything; after it there is nothing to lose.
          if (!stack_.empty()) cut(start);
          break;
        }
      } else {
        copy_plain();
        if (i_ < in_.size() && in_[i_] != '<') char_data();
      }
      if (root_closed_) {
        // Whatever follows the document element (a second document, debug output) is junk.
        const std::string_view rest = in_.substr(i_);
        if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) trailing_ = rest.size();
        break;
      }
    }
    if (!error_.empty()) return;
    if (!stack_.empty()) {
      if (!truncated_) cut(in_.size());
      open_at_end_ = stack_.size();
      while (!stack_.empty()) {
        out_ += "</";
        out_ += stack_.back();
        out_ += '>';
        stack_.pop_back();
      }
    }
  }

  void finish(Prepared& p) {
    p.xml = std::move(out_);
    p.truncated = truncated_;
    p.truncated_at = truncated_at_;
    p.open_at_end = open_at_end_;
    const std::string root = ascii_lower(root_name_);
    if (ascii_iequals(doctype_name_, "html") || root == "html" ||
        (root.empty() && starts_with_icase(in_, "<html"))) {
      p.error = "not a feed: HTML page";
      return;
    }
    if (!error_.empty()) {
      p.error = error_;
      return;
    }
    counts_.report(p.warnings);
    if (trailing_ > 0) {
      p.warnings.push_back("ignored " + std::to_string(trailing_) +
                           " bytes after the document element");
    }
    if (dtd_subset_) p.warnings.push_back("DOCTYPE with internal subset ignored");
  }

 private:
  void cut(std::size_t at) {
    truncated_ = true;
    truncated_at_ = at;
  }

  // Copies the bytes from i_ that char_data() would copy unchanged, stopping at a byte it must
  // look at, at the byte `stop` (when given) or at the end of the input.
  void copy_plain(int stop = -1) {
    const std::size_t j = scan(
        in_, i_, in_.size(),
        [stop](std::uint64_t w) {
          const std::uint64_t special = any_byte_below(w, 0x20) | any_byte_is(w, '&') |
                                        any_byte_is(w, '<') | any_byte_is(w, 0xEF);
          return stop < 0 ? special : special | any_byte_is(w, static_cast<unsigned char>(stop));
        },
        [stop](char c) {
          return kCharDataSpecial[static_cast<unsigned char>(c)] ||
                 static_cast<unsigned char>(c) == stop;
        });
    out_.append(in_.data() + i_, j - i_);
    i_ = j;
  }

  // One byte (or escape, or entity) of text or of a quoted attribute value at i_.
  void char_data() {
    const char c = in_[i_];
    if (c == '&') {
      i_ = repair_entity(in_, i_, out_, counts_);
    } else if (c == '<') {  // only reached inside attribute values
      out_ += "&lt;";
      ++counts_.raw_lts;
      ++i_;
    } else if (is_forbidden_control(c)) {
      ++counts_.controls;
      ++i_;
    } else if (c == '\xEF' && in_.substr(i_, 2) == "\xEF\xBF" && i_ + 2 < in_.size() &&
               (in_[i_ + 2] == '\xBE' || in_[i_ + 2] == '\xBF')) {
      ++counts_.controls;  // U+FFFE / U+FFFF
      i_ += 3;
    } else {
      out_ += c;
      ++i_;
    }
  }

  std::string_view name_at(std::size_t j) const {
    if (j >= in_.size() || !is_name_start(in_[j])) return {};
    std::size_t k = j + 1;
    while (k < in_.size() && is_name_char(in_[k]))
      ++k;
    return in_.substr(j, k - j);
  }

  // At '<'. Returns false when the input ends inside the construct.
  bool markup() {
    const std::string_view rest = in_.substr(i_);
    if (rest.starts_with("<!--")) {
      const auto end = in_.find("-->", i_ + 4);
      if (end == std::string_view::npos) return false;
      i_ = end + 3;
      return true;
    }
    if (rest.starts_with("<![CDATA[")) {
      const auto end = in_.find("]]>", i_ + 9);
      if (end == std::string_view::npos) return false;
      out_ += "<![CDATA[";
      std::size_t k = i_ + 9;
      while (k < end) {
        const std::size_t run = k;
        k = scan(
            in_, k, end, [](std::uint64_t w) { return any_byte_below(w, 0x20); },
            is_forbidden_control);
        out_.append(in_.data() + run, k - run);
        if (k < end) {
          ++counts_.controls;
          ++k;
        }
      }
      out_ += "]]>";
      i_ = end + 3;
      return true;
    }
    if (starts_with_icase(rest, "<!DOCTYPE")) return doctype();
    if (rest.starts_with("<?")) {
      // Processing instructions, the XML declaration included, mean nothing to a feed reader
      // (and the declared encoding is stale once the text is UTF-8).
      const auto end = in_.find("?>", i_ + 2);
      if (end == std::string_view::npos) return false;
      i_ = end + 2;
      return true;
    }
    if (rest.starts_with("</")) return end_tag();
    if (rest.size() > 1 && is_name_start(rest[1])) return start_tag();
    if (rest.size() == 1) return false;
    out_ += "&lt;";
    ++counts_.raw_lts;
    ++i_;
    return true;
  }

  bool doctype() {
    const auto d = scan_doctype(in_, i_);
    if (!d) return false;
    doctype_name_ = d->name;
    dtd_subset_ = dtd_subset_ || d->subset;
    i_ = d->end;
    return true;
  }

  bool end_tag() {
    const std::string_view name = name_at(i_ + 2);
    std::size_t j = i_ + 2 + name.size();
    while (j < in_.size() && is_space(in_[j]))
      ++j;
    if (j >= in_.size()) return false;
    if (name.empty() || in_[j] != '>') {
      out_ += "&lt;";
      ++counts_.raw_lts;
      ++i_;
      return true;
    }
    i_ = j + 1;
    const auto it = std::find(stack_.rbegin(), stack_.rend(), name);
    if (it == stack_.rend()) {
      ++counts_.stray_ends;
      return true;
    }
    // Close what the input left open inside this element, so the tree stays what it meant.
    while (stack_.back() != name) {
      out_ += "</";
      out_ += stack_.back();
      out_ += '>';
      stack_.pop_back();
      ++counts_.unclosed;
    }
    out_ += "</";
    out_ += name;
    out_ += '>';
    stack_.pop_back();
    root_closed_ = stack_.empty();
    return true;
  }

  bool start_tag() {
    const std::size_t mark = out_.size();
    const std::string_view name = name_at(i_ + 1);
    out_ += '<';
    out_.append(name);
    std::size_t j = i_ + 1 + name.size();
    while (j < in_.size()) {
      const char c = in_[j];
      if (c == '>' || (c == '/' && j + 1 < in_.size() && in_[j + 1] == '>')) {
        const bool empty = c == '/';
        out_ += empty ? "/>" : ">";
        i_ = j + (empty ? 2 : 1);
        if (root_name_.empty()) root_name_ = name;
        if (empty) {
          root_closed_ = stack_.empty();
        } else {
          if (stack_.size() >= kMaxDepth) {
            error_ = "XML error: elements nested deeper than " + std::to_string(kMaxDepth);
          }
          stack_.push_back(name);
        }
        return true;
      }
      if (c == '"' || c == '\'') {
        out_ += c;
        i_ = j + 1;
        while (i_ < in_.size() && in_[i_] != c) {
          copy_plain(static_cast<unsigned char>(c));
          if (i_ < in_.size() && in_[i_] != c) char_data();
        }
        if (i_ >= in_.size()) return false;
        out_ += c;
        j = i_ + 1;
      } else if (c == '=') {
        out_ += c;
        ++j;
        while (j < in_.size() && is_space(in_[j]))
          out_ += in_[j++];
        if (j >= in_.size()) return false;
        if (in_[j] == '"' || in_[j] == '\'' || in_[j] == '>') continue;
        // HTML's unquoted value ("<img src=a.jpg>"): quote it.
        out_ += '"';
        i_ = j;
        while (i_ < in_.size() && !is_space(in_[i_]) && in_[i_] != '>' &&
               in_.substr(i_, 2) != "/>") {
          if (in_[i_] == '"') {
            out_ += "&quot;";
            ++i_;
          } else {
            char_data();
          }
        }
        if (i_ >= in_.size()) return false;
        out_ += '"';
        ++counts_.unquoted;
        j = i_;
      } else if (c == '<') {
        // "<a <b>": the first '<' was text after all.
        out_.resize(mark);
        out_ += "&lt;";
        ++counts_.raw_lts;
        ++i_;
        return true;
      } else {
        if (!is_forbidden_control(c)) out_ += c;
        ++j;
      }
    }
    return false;
  }

  std::string_view in_;
  std::size_t i_ = 0;
  std::string out_;
  std::vector<std::string_view> stack_;  // open elements, views into in_
  std::string_view root_name_;
  std::string_view doctype_name_;
  std::string error_;
  bool truncated_ = false;
  std::size_t truncated_at_ = 0;
  std::size_t open_at_end_ = 0;
  bool dtd_subset_ = false;
  RepairCounts counts_;
  bool root_closed_ = false;
  std::size_t trailing_ = 0;
};

// Takes `out`, decoded from `charset`, as the text; says so when it replaced anything.
std::string_view take(Prepared& p, std::string& storage, std::string charset,
                      lib::Iconv::Output out) {
  if (out.replaced > 0) {
    p.warnings.push_back("replaced " + std::to_string(out.replaced) + " invalid " + charset +
                         " sequences");
  }
  p.charset = std::move(charset);
  storage = std::move(out.text);
  return storage;
}

// Decodes `body` to UTF-8 following the charset order documented at prepare(). Returns the
// text: a view of `body` itself when it is valid UTF-8 (nearly every feed: no copy), else of
// `storage`, which holds the decoded text.
std::string_view decode(std::string_view body, std::string_view content_type,
                        std::string_view forced, Prepared& p, std::string& storage) {
  if (!forced.empty()) {
    std::string cs = lib::iconv_charset(forced);
    if (auto out = lib::to_utf8(body, cs)) return take(p, storage, std::move(cs), std::move(*out));
    // The config checked the name, but against the iconv of the machine that loaded it.
    p.warnings.push_back("unknown charset " + std::string(forced) +
                         " in encoding:; detected the charset instead");
  }
  if (body.starts_with("\xFF\xFE") || body.starts_with("\xFE\xFF")) {
    std::string cs = body[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE";
    auto out = lib::to_utf8(body.substr(2), cs);
    if (!out) {
      p.error = "no iconv support for " + cs;
      return {};
    }
    return take(p, storage, std::move(cs), std::move(*out));
  }
  const bool bom = body.starts_with(kUtf8Bom);
  if (bom) body.remove_prefix(kUtf8Bom.size());
  // Valid UTF-8 is what to_utf8(body, "UTF-8") would return unchanged: use it in place.
  const bool valid = lib::is_valid_utf8(body);
  std::optional<lib::Iconv::Output> utf8;
  if (!valid) {
    utf8 = lib::to_utf8(body, "UTF-8");
    if (!utf8) {  // no UTF-8 in this iconv: nothing sensible to do but take the bytes
      p.charset = "UTF-8";
      return body;
    }
  }
  const std::size_t start = std::min(body.find_first_not_of(" \t\r\n"), body.size());
  const std::string declared = declared_encoding(body.substr(start));
  const std::string from_header = charset_from_content_type(content_type);
  if (bom || valid || utf8->replaced == 0) {
    p.charset = "UTF-8";
    const std::string named = !declared.empty() ? declared : from_header;
    if (!bom && !named.empty() && lib::iconv_charset(named) != "UTF-8" &&
        !std::all_of(body.begin(), body.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      p.warnings.push_back("declared charset " + named + " but the body is UTF-8; read as UTF-8");
    }
    if (valid) return body;
    storage = std::move(utf8->text);
    return storage;
  }
  for (const std::string& name : {declared, from_header}) {
    if (name.empty()) continue;
    std::string cs = lib::iconv_charset(name);
    if (cs == "UTF-8") continue;
    auto out = lib::to_utf8(body, cs);
    if (!out) {
      p.warnings.push_back("unknown charset " + name);
      continue;
    }
    return take(p, storage, std::move(cs), std::move(*out));
  }
  // Nothing usable names the charset. Such feeds here are GB2312/GBK, which GB18030 covers.
  // It must explain the bytes decisively better than UTF-8: a UTF-8 feed with a few stray
  // bytes often has pairs of bytes GB18030 would take as characters, and decoding all of it as
  // GB18030 would garble every character that was right.
  if (auto gb = lib::to_utf8(body, "GB18030");
      gb && (gb->replaced == 0 || gb->replaced * kDecisively < utf8->replaced)) {
    p.warnings.push_back("not UTF-8 and no usable charset named: read as GB18030");
    return take(p, storage, "GB18030", std::move(*gb));
  }
  p.charset = "UTF-8";
  storage = std::move(utf8->text);
  p.warnings.push_back("invalid UTF-8: replaced " + std::to_string(utf8->replaced) +
                       " sequences with U+FFFD");
  return storage;
}

}  // namespace

std::string charset_from_content_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  if (semi == std::string_view::npos) return {};
  const boost::beast::string_view params(content_type.data() + semi, content_type.size() - semi);
  for (const auto& param : boost::beast::http::param_list(params)) {
    if (ascii_iequals(std::string_view(param.first.data(), param.first.size()), "charset")) {
      return std::string(param.second.data(), param.second.size());
    }
  }
  return {};
}

std::string declared_encoding(std::string_view text) {
  if (!text.starts_with("<?xml")) return {};
  const auto end = text.find("?>");
  if (end > 512) return {};  // npos included
  // Let pugixml read the declaration; a dummy root makes it a complete document.
  std::string doc(text.substr(0, end + 2));
  doc += "<x/>";
  pugi::xml_document parsed;
  if (!parsed.load_buffer(doc.data(), doc.size(), pugi::parse_declaration, pugi::encoding_utf8)) {
    return {};
  }
  const auto decl = parsed.first_child();
  if (decl.type() != pugi::node_declaration) return {};
  return decl.attribute("encoding").value();
}

Prepared prepare(std::string_view body, std::string_view content_type,
                 std::string_view forced_charset) {
  Prepared p;
  std::string storage;
  std::string_view view = decode(body, content_type, forced_charset, p, storage);
  if (!p.error.empty()) return p;
  // Blank lines before "<?xml" (PHP templates, CMS plugins) and a second BOM after them.
  while (true) {
    const std::size_t start = std::min(view.find_first_not_of(" \t\r\n"), view.size());
    view.remove_prefix(start);
    if (!view.starts_with(kUtf8Bom)) break;
    view.remove_prefix(kUtf8Bom.size());
  }
  if (view.empty()) {
    p.error = "empty body";
    return p;
  }
  if (view.front() != '<') {
    // Show the bytes as received: the decoded text has U+FFFD where they were not UTF-8.
    const std::size_t start = std::min(body.find_first_not_of(" \t\r\n"), body.size());
    p.error = "not a feed: not XML (starts with \"" + preview(body.substr(start)) + "\")";
    return p;
  }
  Repairer repair(view);
  repair.run();
  repair.finish(p);
  return p;
}

}  // namespace feedd::parse
