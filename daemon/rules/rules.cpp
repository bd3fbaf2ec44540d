#include "rules/rules.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <utility>

#include "util/utf8.hpp"

namespace feedd::rules {
namespace {

constexpr std::array<std::pair<std::string_view, Field>, 5> kFields = {{
    {"title", Field::kTitle},
    {"author", Field::kAuthor},
    {"category", Field::kCategory},
    {"link", Field::kLink},
    {"content", Field::kContent},
}};

// A pattern is echoed in a diagnostic only when it cannot forge another line and is short.
bool echoable(std::string_view s) {
  return s.size() <= 200 &&
         std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < ' ' || c == 0x7f; });
}

bool matches(const re2::RE2& re, std::string_view text) {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
}

bool matches(const Rule& rule, const Item& item) {
  const re2::RE2& re = *rule.re;
  switch (rule.field) {
    case Field::kTitle:
      return matches(re, item.title);
    case Field::kAuthor:
      return matches(re, item.author);
    case Field::kCategory:
      if (item.categories == nullptr) return false;
      return std::any_of(item.categories->begin(), item.categories->end(),
                         [&](const std::string& c) { return matches(re, c); });
    case Field::kLink:
      return matches(re, item.link);
    case Field::kContent:
      return matches(re, util::utf8_prefix(item.content, kMaxContentBytes));
  }
  return false;
}

}  // namespace

std::optional<Field> field_from_name(std::string_view name) {
  for (const auto& [n, f] : kFields) {
    if (n == name) return f;
  }
  return std::nullopt;
}

std::string_view field_name(Field field) {
  for (const auto& [n, f] : kFields) {
    if (f == field) return n;
  }
  return "?";
}

std::string_view kind_name(Kind kind) {
  return kind == Kind::kDrop ? "drop" : "keep";
}

std::string Rule::label() const {
  std::string out(kind_name(kind));
  out += ' ';
  out += field_name(field);
  out += " /";
  out += pattern;
  out += '/';
  return out;
}

std::string Rule::describe() const {
  std::string out = label();
  if (!origin.empty()) out += " (" + origin + ")";
  return out;
}

Compiled compile(Kind kind, Field field, std::string_view pattern, std::string origin) {
  Compiled out;
  if (pattern.empty()) {
    out.error = "empty pattern (it would match every item)";
    return out;
  }
  if (pattern.size() > kMaxPatternBytes) {
    out.error = "pattern longer than " + std::to_string(kMaxPatternBytes) + " bytes";
    return out;
  }
  re2::RE2::Options options;
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  // RE2 would log every bad pattern to stderr; the diagnostic below says it once, located.
  options.set_log_errors(false);
  options.set_max_mem(kMaxProgramBytes);
  auto re =
      std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    // RE2's message quotes the offending part of the pattern after ": ".
    const std::string& why = re->error();
    out.error = "invalid pattern";
    if (echoable(pattern)) {
      out.error += " \"";
      out.error += pattern;
      out.error += "\": ";
      out.error += why;
    } else {
      out.error += ": ";
      out.error += why.substr(0, why.find(": "));
    }
    return out;
  }
  out.rule = Rule{kind, field, std::string(pattern), std::move(origin), std::move(re)};
  return out;
}

std::string Verdict::reason() const {
  if (!drop) return {};
  return rule != nullptr ? rule->describe() : "no keep rule matched";
}

void RuleSet::add(Rule rule) {
  rules_.push_back(std::move(rule));
}

bool RuleSet::needs_content() const {
  return std::any_of(rules_.begin(), rules_.end(),
                     [](const Rule& r) { return r.field == Field::kContent; });
}

Verdict RuleSet::evaluate(const Item& item) const {
  bool has_keep = false;
  bool kept = false;
  for (const Rule& rule : rules_) {
    if (rule.kind == Kind::kDrop) {
      if (matches(rule, item)) return Verdict{true, &rule};
    } else {
      has_keep = true;
      // One keep match is enough; later keep rules need not run, but drop rules still do.
      if (!kept) kept = matches(rule, item);
    }
  }
  if (has_keep && !kept) return Verdict{true, nullptr};
  return Verdict{};
}

int RuleSet::index_of(const Rule* rule) const {
  if (rule == nullptr || rules_.empty() || rule < rules_.data() ||
      rule >= rules_.data() + rules_.size()) {
    return -1;
  }
  return static_cast<int>(rule - rules_.data());
}

std::string RuleSet::drop_label(const Verdict& v) const {
  const int i = index_of(v.rule);
  if (i < 0) return "no keep rule matched";
  return "#" + std::to_string(i) + " " + v.rule->label();
}

}  // namespace feedd::rules
