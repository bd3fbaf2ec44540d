#pragma once
// The rules stage: `drop:` and `keep:` lists of feeds.yaml (issue 14) compiled once, at config
// load, and evaluated on each new item before it is stored. Pure: no I/O, no clock.
//
// Matching is RE2 (linear time in the input whatever the pattern, no backreferences), partial
// (a pattern matches anywhere in the field unless anchored with ^ and $), case-sensitive unless
// the pattern says (?i), UTF-8. Compiled patterns are immutable and shared between the copies
// of a RuleSet (a rule of a category node is compiled once for all its channels); matching is
// thread-safe. Nothing here throws but std::bad_alloc.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace feedd::rules {

// Bounds: a node's list holds at most kMaxRulesPerList rules; a pattern at most
// kMaxPatternBytes; each compiled pattern may use at most kMaxProgramBytes of memory (RE2
// refuses a larger one: "pattern too large"); `content` is matched on its first
// kMaxContentBytes.
inline constexpr std::size_t kMaxRulesPerList = 100;
inline constexpr std::size_t kMaxPatternBytes = 1024;
inline constexpr std::int64_t kMaxProgramBytes = std::int64_t{1} << 20;
inline constexpr std::size_t kMaxContentBytes = std::size_t{1} << 20;

enum class Kind { kDrop, kKeep };

// The field of an item a rule looks at.
enum class Field {
  kTitle,     // the post's title
  kAuthor,    // the upstream author (the post's creator:), "" when none
  kCategory,  // each upstream tag in turn (the post's tags:); no tags, no match
  kLink,      // the post's link
  kContent,   // the text of the body (tags dropped, entities decoded)
};

// "title", "author", "category", "link", "content"; nullopt for any other name.
std::optional<Field> field_from_name(std::string_view name);
std::string_view field_name(Field field);
std::string_view kind_name(Kind kind);  // "drop", "keep"

// One compiled rule. Copies share the compiled pattern.
struct Rule {
  Kind kind = Kind::kDrop;
  Field field = Field::kTitle;
  std::string pattern;  // as written
  std::string origin;   // where it was written, e.g. "feeds.yaml:12"
  std::shared_ptr<const re2::RE2> re;

  // `drop title /广告|推广/ (feeds.yaml:12)`.
  std::string describe() const;
  // `drop title /广告|推广/`: describe() without the origin.
  std::string label() const;
};

// Compiles `pattern` for `field`. On failure the error is the message to show after
// "PATH:LINE: " (e.g. `invalid pattern "(": missing ): (`), and no rule is made.
struct Compiled {
  std::optional<Rule> rule;
  std::string error;
};
Compiled compile(Kind kind, Field field, std::string_view pattern, std::string origin);

// What the rules look at. Views: the caller keeps the strings alive during evaluate().
struct Item {
  std::string_view title;
  std::string_view author;
  const std::vector<std::string>* categories = nullptr;  // nullptr = none
  std::string_view link;
  std::string_view content;  // only read when the set needs_content()
};

// Why an item is dropped: the drop rule that matched, or (no rule) that the set has keep
// rules and none matched.
struct Verdict {
  bool drop = false;
  const Rule* rule = nullptr;  // into the RuleSet; nullptr when dropped for want of a keep match
  // `drop title /x/ (feeds.yaml:12)`, `no keep rule matched`, or "" when kept.
  std::string reason() const;
};

// The rules in effect for one channel, its ancestors' first (the tree is walked top-down).
class RuleSet {
 public:
  RuleSet() = default;

  // Appends `rule` (the set's order is the order rules are tried and numbered).
  void add(Rule rule);

  bool empty() const { return rules_.empty(); }
  const std::vector<Rule>& rules() const { return rules_; }
  // Whether any rule looks at `content`, so that the caller makes the text only then.
  bool needs_content() const;

  // Drop if any drop rule matches; else, when there are keep rules, drop unless one matches.
  Verdict evaluate(const Item& item) const;

  // The index of `rule` in rules(), or -1 (for Verdict::rule, e.g. to label a metric).
  int index_of(const Rule* rule) const;

  // A short, stable name of why `v` drops, for counters: `#2 drop title /广告/` (the rule's
  // index in rules() and its label), or `no keep rule matched`. As many names as rules + 1.
  std::string drop_label(const Verdict& v) const;

 private:
  std::vector<Rule> rules_;
};

}  // namespace feedd::rules
