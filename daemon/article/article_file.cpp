#include "article/article_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "article/article.hpp"
#include "lib/curl/url.hpp"
#include "parse/date.hpp"
#include "util/ascii.hpp"
#include "util/time.hpp"

namespace feedd::article {
namespace {

// yaml-cpp spends a few hundred bytes per node (a 4 MiB flow list takes 1 GB and 9 s), and
// our front-matter is a dozen short lines, so anything far beyond that is refused first.
constexpr int kMaxFrontMatterLines = 1000;
constexpr std::size_t kMaxQuotedInMessage = 80;

constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Length of the line break starting at s[i] (CR LF counts as one), 0 when there is none.
std::size_t line_break_at(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == '\n') return 1;
  if (c == '\r') return (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) return 2;
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
      (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
       static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
    return 3;
  }
  return 0;
}

// Characters outside YAML's printable set, other than line breaks: bytes of their encoding.
std::size_t unprintable_at(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x20 || c == 0x7F) return 1;
  if (c == 0xC2 && i + 1 < s.size()) {
    const auto d = static_cast<unsigned char>(s[i + 1]);
    if (d >= 0x80 && d <= 0x9F) return 2;  // C1 controls
  }
  return 0;
}

// Would YAML 1.1 or 1.2 (or js-yaml's default schema) resolve this plain scalar to something
// other than a string: bool, null, int, float, sexagesimal, timestamp?
bool resolves_to_non_string(std::string_view s) {
  static constexpr std::array<std::string_view, 14> kWords = {
      "true", "false", "yes", "no",   "on",    "off",   "y",
      "n",    "null",  "~",   ".inf", "-.inf", "+.inf", ".nan"};
  for (std::string_view word : kWords) {
    if (ascii_iequals(s, word)) return true;  // every word is lower case
  }
  // Every number and timestamp form starts with a digit, or a sign/dot then a digit, and uses
  // only these ASCII characters; a Chinese name such as "36氪" is left plain.
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = 0;
  while (i < s.size() && i < 2 && (s[i] == '+' || s[i] == '-' || s[i] == '.'))
    ++i;
  if (i >= s.size() || !digit(s[i])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("_.:+- ").find(c) != std::string_view::npos;
  });
}

std::string located(std::string_view path, int line, std::string_view message) {
  std::string out(path);
  out += ':';
  out += std::to_string(line);
  out += ": ";
  out += message;
  return out;
}

std::string quoted_for_message(std::string_view value) {
  std::string out = "\"";
  if (value.size() > kMaxQuotedInMessage) {
    out += value.substr(0, kMaxQuotedInMessage);
    out += "…";
  } else {
    out += value;
  }
  out += '"';
  return out;
}

// Walks `text` line by line without copying it; `number` is the 1-based number of the line
// last returned.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}

  std::optional<std::string_view> next() {
    if (pos_ >= text_.size()) return std::nullopt;
    const std::size_t nl = text_.find('\n', pos_);
    const std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
    std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    ++number_;
    return line;
  }

  std::size_t position() const { return pos_; }
  int number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int number_ = 0;
};

// A front-matter field read as a string. `error` is set when the node is not a scalar.
struct Field {
  std::optional<std::string> value;  // nullopt when the key is absent
  std::string error;
  int line = 0;
};

Field string_field(const YAML::Node& root, const char* key, int first_line) {
  Field field;
  const YAML::Node node = root[key];
  if (!node.IsDefined()) return field;
  field.line = first_line + std::max(0, node.Mark().line);
  if (node.IsNull()) {
    field.value = "";
  } else if (node.IsScalar()) {
    // A hand-written multi-line scalar keeps YAML's newlines; Article strings are one line.
    field.value = fold_to_line(node.Scalar());
  } else {
    field.error = std::string("'") + key + "' is not a string";
  }
  return field;
}

// Hexo renders a post as Markdown (marked), which ends an HTML block at the first blank line
// (nothing but spaces and tabs) and reads the rest as Markdown: an indented line becomes a code
// block showing the markup, `_x_` emphasis. So no line of the written body is blank:
//  - in text, an empty comment ends the blank line: once HTML is parsed nothing changes, not even
//    inside <pre>, and the line breaks stay as published;
//  - inside a quoted attribute value, the line break that ends it is written as a reference to
//    the same character;
//  - between the attributes of a tag, that line break is dropped (the blanks around it remain).
// read_article_file undoes the first two.
constexpr std::string_view kBlankLineMark = "<!---->";
constexpr std::string_view kNewlineRef = "&#10;";

// Where a byte of HTML stands, as far as a blank line there matters. A rough tokenizer that does
// not tell comments and raw text (script, style) apart: sanitised markup has neither.
class HtmlPlace {
 public:
  enum Where { kText, kTag, kQuoted };

  Where where() const { return where_; }
  char quote() const { return quote_; }  // the quote that ends a kQuoted value

  // Moves past `run`, bytes of a tag (kTag) none of which is '>', a quote or a line break: as
  // step() on each of them would.
  void skip_in_tag(std::string_view run) {
    for (auto it = run.rbegin(); it != run.rend(); ++it) {
      if (!is_space(*it)) {
        last_ = *it;
        return;
      }
    }
  }

  // Moves past s[i].
  void step(std::string_view s, std::size_t i) {
    const char c = s[i];
    switch (where_) {
      case kText:
        if (c == '<' && i + 1 < s.size() && starts_tag(s[i + 1])) {
          where_ = kTag;
          last_ = c;
        }
        break;
      case kTag:
        if (c == '>') {
          where_ = kText;
        } else if ((c == '"' || c == '\'') && last_ == '=') {
          where_ = kQuoted;
          quote_ = c;
        } else if (!is_space(c)) {
          last_ = c;
        }
        break;
      case kQuoted:
        if (c == quote_) {
          where_ = kTag;
          last_ = c;
        }
        break;
    }
  }

 private:
  static bool starts_tag(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '!' || c == '?';
  }
  static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  }

  Where where_ = kText;
  char last_ = 0;
  char quote_ = 0;
};

// Length of the Markdown line break (LF, CR LF, CR) at s[i]; 0 when there is none.
std::size_t markdown_break_at(std::string_view s, std::size_t i) {
  if (s[i] == '\n') return 1;
  if (s[i] == '\r') return (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
  return 0;
}

// A set of bytes, for scanning to the next one of them.
class ByteSet {
 public:
  constexpr explicit ByteSet(std::string_view bytes) {
    for (char c : bytes)
      in_[static_cast<unsigned char>(c)] = true;
  }
  bool has(char c) const { return in_[static_cast<unsigned char>(c)]; }

 private:
  std::array<bool, 256> in_{};
};

// Bytes that end a run the body writer copies as it is: where HtmlPlace may change state, a
// line break, a brace.
constexpr ByteSet kTextStops("<\r\n{}");
constexpr ByteSet kDoubleQuotedStops("\"\r\n{}");
constexpr ByteSet kSingleQuotedStops("'\r\n{}");
constexpr ByteSet kTagStops(">\"'\r\n{}");

// Appends the body as written: escape_braces(html) without blank lines (see kBlankLineMark). It
// starts a line. Both in one pass over `html`: HtmlPlace ends up where it would over the escaped
// bytes, for a brace and its reference alike neither open nor close a tag or a quote, do not
// start a tag after a '<', and leave a tag's last byte unequal to '='.
void append_body(std::string& out, std::string_view html) {
  HtmlPlace place;
  bool blank = true;  // nothing but spaces and tabs on the output line so far
  std::size_t i = 0;
  while (i < html.size()) {
    {
      // Up to the next byte that matters (where HtmlPlace may change state, a line break, a
      // brace): copied as it is.
      const ByteSet& stops = place.where() == HtmlPlace::kText  ? kTextStops
                             : place.where() == HtmlPlace::kTag ? kTagStops
                             : place.quote() == '"'             ? kDoubleQuotedStops
                                                                : kSingleQuotedStops;
      std::size_t end = i;
      while (end < html.size() && !stops.has(html[end]))
        ++end;
      if (end > i) {
        const std::string_view run = html.substr(i, end - i);
        if (blank && run.find_first_not_of(" \t") != std::string_view::npos) blank = false;
        if (place.where() == HtmlPlace::kTag) place.skip_in_tag(run);
        out.append(run);
        i = end;
        continue;
      }
    }
    const std::size_t n = markdown_break_at(html, i);
    if (n == 0) {
      const char c = html[i];
      if (!is_blank(c)) blank = false;
      place.step(html, i);
      if (c == '{') {
        out += "&#123;";
      } else if (c == '}') {
        out += "&#125;";
      } else {
        out += c;
      }
      ++i;
      continue;
    }
    if (blank && place.where() == HtmlPlace::kTag) {
      i += n;  // the line goes on, still blank
      continue;
    }
    if (blank && place.where() == HtmlPlace::kQuoted) {
      out += kNewlineRef;
      blank = false;
      i += n;
      continue;
    }
    if (blank) out += kBlankLineMark;
    out.append(html.substr(i, n));
    blank = true;
    i += n;
  }
}

// Undoes the blank-line part of append_body (unescape_braces the rest), except for line breaks it
// dropped inside tags.
std::string with_blank_lines(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  HtmlPlace place;
  bool blank = true;  // nothing but spaces and tabs on the input line so far
  std::size_t i = 0;
  while (i < body.size()) {
    const std::string_view rest = body.substr(i);
    // A LF put right after a lone CR would join it into one CR LF break: such a pair stays.
    const bool after_cr = !out.empty() && out.back() == '\r';
    if (blank && place.where() == HtmlPlace::kText && rest.starts_with(kBlankLineMark) &&
        rest.size() > kBlankLineMark.size() &&
        markdown_break_at(rest, kBlankLineMark.size()) != 0 &&
        !(after_cr && rest[kBlankLineMark.size()] == '\n')) {
      i += kBlankLineMark.size();
      continue;
    }
    if (blank && place.where() == HtmlPlace::kQuoted && rest.starts_with(kNewlineRef) &&
        !after_cr) {
      out += '\n';
      blank = false;
      i += kNewlineRef.size();
      continue;
    }
    if (const std::size_t n = markdown_break_at(body, i); n != 0) {
      out.append(rest.substr(0, n));
      blank = true;
      i += n;
      continue;
    }
    if (!is_blank(body[i])) blank = false;
    place.step(body, i);
    out += body[i++];
  }
  return out;
}

}  // namespace

std::string fold_to_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (line_break_at(text, i) != 0) {
      // YAML folds a line break and the blanks around it into one space; so do we, but a run
      // of several breaks also becomes a single space instead of YAML's newline.
      while (!out.empty() && out.back() == ' ')
        out.pop_back();
      while (i < text.size()) {
        if (const std::size_t n = line_break_at(text, i); n != 0) {
          i += n;
        } else if (is_blank(text[i])) {
          ++i;
        } else {
          break;
        }
      }
      out += ' ';
    } else if (const std::size_t n = unprintable_at(text, i); n != 0) {
      out += ' ';
      i += n;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string yaml_single_quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string yaml_scalar(std::string_view text) {
  const bool quote = text.empty() || text.front() == ' ' || text.back() == ' ' ||
                     kIndicators.find(text.front()) != std::string_view::npos ||
                     text.find(": ") != std::string_view::npos ||
                     text.find(" #") != std::string_view::npos || text.back() == ':' ||
                     resolves_to_non_string(text);
  return quote ? yaml_single_quoted(text) : std::string(text);
}

std::string escape_braces(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (std::size_t i = 0; i < html.size();) {
    const std::size_t brace = std::min(html.find_first_of("{}", i), html.size());
    out.append(html.substr(i, brace - i));
    if (brace == html.size()) break;
    out += html[brace] == '{' ? "&#123;" : "&#125;";
    i = brace + 1;
  }
  return out;
}

std::string unescape_braces(std::string_view html) {
  static constexpr std::string_view kOpen = "&#123;";
  static constexpr std::string_view kClose = "&#125;";
  std::string out;
  out.reserve(html.size());
  std::size_t i = 0;
  while (i < html.size()) {
    const std::string_view rest = html.substr(i);
    if (rest.starts_with(kOpen)) {
      out += '{';
      i += kOpen.size();
    } else if (rest.starts_with(kClose)) {
      out += '}';
      i += kClose.size();
    } else {
      out += html[i++];
    }
  }
  return out;
}

std::string front_matter_url(std::string_view url) {
  if (url.empty() || url.size() > kMaxUrlBytes) return {};
  return lib::web_url(url).value_or(std::string());
}

namespace {

// The optional keys after `link:` (DESIGN.md), each only when present. Tags and enclosures go
// through clean_tags / clean_enclosures once more, whoever made the Article.
void append_metadata(std::string& out, const Article& article) {
  const std::string creator(fold_to_line(article.creator));
  if (creator.find_first_not_of(' ') != std::string::npos) {
    out += "creator: ";
    out += yaml_scalar(creator);
    out += '\n';
  }
  const std::vector<std::string> tags = clean_tags(article.tags);
  if (!tags.empty()) {
    // "tags: " with the trailing space, as the seeds write "categories: ".
    out += "tags: \n";
    for (const std::string& tag : tags) {
      out += " - ";
      out += yaml_scalar(tag);
      out += '\n';
    }
  }
  const std::vector<parse::Enclosure> enclosures = clean_enclosures(article.enclosures);
  if (!enclosures.empty()) {
    out += "enclosures: \n";
    for (const parse::Enclosure& e : enclosures) {
      out += " - url: ";
      out += yaml_single_quoted(e.url);
      out += '\n';
      if (!e.type.empty()) {
        out += "   type: ";
        out += yaml_scalar(e.type);
        out += '\n';
      }
      if (e.length) {
        out += "   length: ";
        out += std::to_string(*e.length);
        out += '\n';
      }
    }
  }
}

}  // namespace

std::string render_article_file(const Article& article) {
  // The URL contract once more, whoever made the Article (a row stored by an older feedd, say):
  // a theme prints these into attributes unescaped.
  const std::string link = front_matter_url(article.link);
  const std::string image_url =
      is_local_image_path(article.image) ? article.image : front_matter_url(article.image);
  const std::string image = yaml_single_quoted(image_url);
  std::string out;
  out.reserve(article.html.size() + article.title.size() + 2 * image.size() + 512);
  out += "\n---\ntitle: ";
  out += yaml_single_quoted(fold_to_line(article.title));
  out += "\ncategories: \n";
  for (const std::string& category : article.categories) {
    out += " - ";
    out += yaml_scalar(fold_to_line(category));
    out += '\n';
  }
  if (!image_url.empty()) out += "headimg: " + image + "\n";
  out += "author: ";
  out += yaml_scalar(fold_to_line(article.author));
  out += "\ncomments: false\ndate: ";
  out += format_rfc822_gmt(article.date);
  out += '\n';
  if (!image_url.empty()) out += "thumbnail: " + image + "\n";
  if (!link.empty()) {
    out += "link: ";
    out += yaml_single_quoted(link);
    out += '\n';
  }
  append_metadata(out, article);
  out += "---\n\n<div>   \n";
  append_body(out, article.html);
  out += "  \n</div>\n            ";
  return out;
}

namespace {

// Where read_article_file gave up: a 1-based line of the file and what is wrong there.
struct Failure {
  int line = 0;
  std::string message;
};

// `input` with CRLF line ends read as LF when its first line ends in CRLF (the copy is made in
// `storage`), else `input` itself: a file with LF keeps any CR that the article HTML carries,
// so that reading is the exact inverse of rendering.
std::string_view with_lf_line_ends(std::string_view input, std::string& storage) {
  const std::size_t nl = input.find('\n');
  if (nl == std::string_view::npos || nl == 0 || input[nl - 1] != '\r') return input;
  storage.reserve(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (!(input[i] == '\r' && i + 1 < input.size() && input[i + 1] == '\n')) storage += input[i];
  }
  return storage;
}

// The YAML between the `---` lines, and where it is in the file.
struct FrontMatter {
  std::string_view yaml;
  int first_line = 0;  // of the YAML, just below the opening `---`
  int close_line = 0;  // of the closing `---`
};

// Finds the front-matter from the start of `text` (blank lines may come before it) and leaves
// `cursor` on its closing `---`. Refuses one longer than kMaxFrontMatterLines or
// kMaxFrontMatterBytes before reading any further.
std::optional<Failure> find_front_matter(LineCursor& cursor, std::string_view text,
                                         FrontMatter& out) {
  std::optional<std::string_view> line;
  while ((line = cursor.next()) && trim_right(*line).empty()) {
  }
  if (!line || trim_right(*line) != "---") {
    return Failure{line ? cursor.number() : cursor.number() + 1,
                   "missing front-matter (expected '---')"};
  }
  const int open_line = cursor.number();
  const std::size_t begin = cursor.position();
  std::size_t end = begin;
  bool closed = false;
  while (true) {
    end = cursor.position();
    line = cursor.next();
    if (!line) break;
    if (trim_right(*line) == "---") {
      closed = true;
      break;
    }
    if (cursor.number() - open_line > kMaxFrontMatterLines ||
        cursor.position() - begin > kMaxFrontMatterBytes) {
      return Failure{cursor.number(), "front-matter too long"};
    }
  }
  if (!closed) return Failure{open_line, "unterminated front-matter (expected '---')"};
  out.yaml = text.substr(begin, end - begin);
  out.first_line = open_line + 1;
  out.close_line = cursor.number();
  return std::nullopt;
}

// The `categories` field: one string or a list of strings; absent or null is no category.
std::optional<Failure> read_categories(const YAML::Node& fields, int first_line,
                                       std::vector<std::string>& out) {
  const YAML::Node categories = fields["categories"];
  if (!categories.IsDefined()) return std::nullopt;
  if (categories.IsScalar()) {
    out.push_back(fold_to_line(categories.Scalar()));
  } else if (categories.IsSequence()) {
    for (const YAML::Node& category : categories) {
      if (!category.IsScalar()) {
        return Failure{first_line + std::max(0, category.Mark().line),
                       "'categories' entries must be strings"};
      }
      out.push_back(fold_to_line(category.Scalar()));
    }
  } else if (!categories.IsNull()) {
    return Failure{first_line + std::max(0, categories.Mark().line), "'categories' is not a list"};
  }
  return std::nullopt;
}

// The `tags` field: one string or a list of strings, cleaned as make_article cleans them.
std::optional<Failure> read_tags(const YAML::Node& fields, int first_line,
                                 std::vector<std::string>& out) {
  const YAML::Node tags = fields["tags"];
  if (!tags.IsDefined() || tags.IsNull()) return std::nullopt;
  std::vector<std::string> read;
  if (tags.IsScalar()) {
    read.push_back(tags.Scalar());
  } else if (tags.IsSequence()) {
    for (const YAML::Node& tag : tags) {
      if (!tag.IsScalar()) {
        return Failure{first_line + std::max(0, tag.Mark().line), "'tags' entries must be strings"};
      }
      read.push_back(tag.Scalar());
    }
  } else {
    return Failure{first_line + std::max(0, tags.Mark().line), "'tags' is not a list"};
  }
  out = clean_tags(read);
  return std::nullopt;
}

// The `enclosures` field: a list of mappings with a string `url` and optional `type` and
// `length` (a byte count; anything else is read as unknown). URLs that fail the URL contract
// are left out, as render_article_file leaves them out.
std::optional<Failure> read_enclosures(const YAML::Node& fields, int first_line,
                                       std::vector<parse::Enclosure>& out) {
  const YAML::Node list = fields["enclosures"];
  if (!list.IsDefined() || list.IsNull()) return std::nullopt;
  const auto at = [&](const YAML::Node& n) { return first_line + std::max(0, n.Mark().line); };
  if (!list.IsSequence()) return Failure{at(list), "'enclosures' is not a list"};
  std::vector<parse::Enclosure> read;
  for (const YAML::Node& item : list) {
    const YAML::Node url = item.IsMap() ? item["url"] : YAML::Node();
    if (!url.IsDefined() || !url.IsScalar()) {
      return Failure{at(item), "'enclosures' entries must be mappings with a 'url' string"};
    }
    parse::Enclosure e;
    e.url = url.Scalar();
    if (const YAML::Node type = item["type"]; type.IsDefined() && type.IsScalar()) {
      e.type = type.Scalar();
    }
    if (const YAML::Node length = item["length"]; length.IsDefined() && length.IsScalar()) {
      const std::string& digits = length.Scalar();
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec == std::errc() && end == digits.data() + digits.size() && n > 0) e.length = n;
    }
    read.push_back(std::move(e));
  }
  out = clean_enclosures(read);
  return std::nullopt;
}

// Title, categories, date, author, link and image (headimg, else thumbnail) of the mapping
// `fields` into `article`. Title and date are required; every field must be a string.
std::optional<Failure> read_fields(const YAML::Node& fields, const FrontMatter& front,
                                   Article& article) {
  // `fields` is const: operator[] must not insert missing keys.
  const int first_line = front.first_line;
  {
    Field title = string_field(fields, "title", first_line);
    if (!title.error.empty()) return Failure{title.line, title.error};
    if (!title.value) return Failure{front.close_line, "missing 'title'"};
    if (normalize_title(*title.value).empty()) return Failure{title.line, "empty 'title'"};
    article.title = std::move(*title.value);
  }
  if (auto failure = read_categories(fields, first_line, article.categories)) return failure;
  {
    Field date = string_field(fields, "date", first_line);
    if (!date.error.empty()) return Failure{date.line, date.error};
    if (!date.value) return Failure{front.close_line, "missing 'date'"};
    const auto parsed = parse::parse_date(*date.value, "UTC");
    if (!parsed) return Failure{date.line, "bad date " + quoted_for_message(*date.value)};
    article.date = *parsed;
  }
  const std::array<std::pair<const char*, std::string*>, 4> optional_fields = {{
      {"author", &article.author},
      {"headimg", &article.image},
      {"link", &article.link},
      {"creator", &article.creator},
  }};
  for (const auto& [key, target] : optional_fields) {
    Field field = string_field(fields, key, first_line);
    if (!field.error.empty()) return Failure{field.line, field.error};
    if (field.value) *target = std::move(*field.value);
  }
  if (article.image.empty()) {
    Field thumbnail = string_field(fields, "thumbnail", first_line);
    if (!thumbnail.error.empty()) return Failure{thumbnail.line, thumbnail.error};
    if (thumbnail.value) article.image = std::move(*thumbnail.value);
  }
  if (auto failure = read_tags(fields, first_line, article.tags)) return failure;
  if (auto failure = read_enclosures(fields, first_line, article.enclosures)) return failure;
  return std::nullopt;
}

// The body after the front-matter (`cursor` on its closing line): "<div>   \n" HTML
// "  \n</div>\n" and 12 spaces, tolerating other trailing blanks. `html` is the HTML as
// render_article_file was given it.
std::optional<Failure> read_body(LineCursor& cursor, std::string_view text, std::string& html) {
  std::optional<std::string_view> line;
  while ((line = cursor.next()) && trim_right(*line).empty()) {
  }
  if (!line || !line->starts_with("<div>") || !trim_right(line->substr(5)).empty()) {
    return Failure{line ? cursor.number() : cursor.number() + 1, "missing body '<div>'"};
  }
  std::string_view body = text.substr(cursor.position());
  const int body_line = cursor.number() + 1;
  body = trim_right(body);
  if (!body.ends_with("</div>")) {
    const auto breaks = static_cast<int>(std::count(body.begin(), body.end(), '\n'));
    return Failure{body_line + breaks, "missing body end '</div>'"};
  }
  body.remove_suffix(6);
  if (body.ends_with('\n')) body.remove_suffix(1);
  for (int i = 0; i < 2 && body.ends_with(' '); ++i)
    body.remove_suffix(1);
  html = unescape_braces(with_blank_lines(body));
  return std::nullopt;
}

}  // namespace

ReadResult read_article_file(std::string_view input, std::string_view path) {
  ReadResult result;
  const auto fail = [&](const Failure& failure) {
    result.error = located(path, failure.line, failure.message);
    return result;
  };
  if (input.size() > kMaxArticleFileBytes) {
    return fail({1, "file too large (" + std::to_string(input.size()) + " bytes, limit " +
                        std::to_string(kMaxArticleFileBytes >> 20) + " MiB)"});
  }
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  std::string storage;
  const std::string_view text = with_lf_line_ends(input, storage);

  LineCursor cursor(text);
  FrontMatter front;
  if (auto failure = find_front_matter(cursor, text, front)) return fail(std::move(*failure));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(front.yaml));
  } catch (const YAML::Exception& e) {
    return fail({front.first_line + std::max(0, e.mark.line), "bad front-matter: " + e.msg});
  }
  if (!root.IsMap()) return fail({front.first_line, "front-matter is not a mapping"});

  Article article;
  if (auto failure = read_fields(root, front, article)) return fail(std::move(*failure));
  if (auto failure = read_body(cursor, text, article.html)) return fail(std::move(*failure));
  article.hash = title_hash(article.title);
  result.article = std::move(article);
  return result;
}

}  // namespace feedd::article
