// The rules stage: compiling patterns (errors word for word), drop/keep semantics, fields, and
// hostile patterns and input (RE2 is linear: no backtracking blow-up).
#include "rules/rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace feedd::rules {
namespace {

Rule rule(Kind kind, Field field, const std::string& pattern) {
  Compiled c = compile(kind, field, pattern, "feeds.yaml:7");
  EXPECT_TRUE(c.rule) << c.error;
  return *c.rule;
}

TEST(Compile, ErrorsWordForWord) {
  struct Case {
    std::string pattern, error;
  };
  const std::vector<Case> cases = {
      {"", "empty pattern (it would match every item)"},
      {"(", "invalid pattern \"(\": missing ): ("},
      {"a)", "invalid pattern \"a)\": unexpected ): a)"},
      {"[z-a]", "invalid pattern \"[z-a]\": invalid character class range: z-a"},
      {"a**", "invalid pattern \"a**\": bad repetition operator: **"},
      // Perl features RE2 leaves out, because they need backtracking.
      {"(a)\\1", "invalid pattern \"(a)\\1\": invalid escape sequence: \\1"},
      {"(?=a)", "invalid pattern \"(?=a)\": invalid perl operator: (?="},
      {"a{1001}", "invalid pattern \"a{1001}\": invalid repetition size: {1001}"},
      {"((a{100}){100})", "invalid pattern \"((a{100}){100})\": invalid repetition size: {100}"},
      // Within the repetition limit, but the program would exceed kMaxProgramBytes.
      {"\\pL{1000}", "invalid pattern \"\\pL{1000}\": pattern too large - compile failed"},
      {std::string(kMaxPatternBytes + 1, 'a'), "pattern longer than 1024 bytes"},
      // A line break is not echoed: it would forge a second diagnostic line.
      {"x\n(", "invalid pattern: missing )"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.pattern);
    const Compiled got = compile(Kind::kDrop, Field::kTitle, c.pattern, "feeds.yaml:1");
    EXPECT_FALSE(got.rule);
    EXPECT_EQ(got.error, c.error);
  }
}

TEST(Compile, FieldNames) {
  for (const char* name : {"title", "author", "category", "link", "content"}) {
    const auto f = field_from_name(name);
    ASSERT_TRUE(f) << name;
    EXPECT_EQ(field_name(*f), name);
  }
  EXPECT_FALSE(field_from_name("Title"));
  EXPECT_FALSE(field_from_name("body"));
  EXPECT_FALSE(field_from_name(""));
}

TEST(Rule, Describe) {
  EXPECT_EQ(rule(Kind::kDrop, Field::kTitle, "广告|推广").describe(),
            "drop title /广告|推广/ (feeds.yaml:7)");
  EXPECT_EQ(rule(Kind::kKeep, Field::kCategory, "^科技$").describe(),
            "keep category /^科技$/ (feeds.yaml:7)");
}

struct EvalCase {
  std::string name;
  std::vector<Rule> rules;
  std::string want;  // Verdict::reason(): "" = kept
};

TEST(RuleSet, Semantics) {
  const std::vector<std::string> tags = {"科技", "Open Source"};
  Item item;
  item.title = "【推广】新款耳机上市";
  item.author = "营销号小王";
  item.categories = &tags;
  item.link = "https://news.example.com/ad/1";
  item.content = "全文：买一送一。";
  const Rule drop_title = rule(Kind::kDrop, Field::kTitle, "广告|推广");
  const Rule drop_other = rule(Kind::kDrop, Field::kTitle, "体育");
  const Rule keep_tech = rule(Kind::kKeep, Field::kCategory, "^科技$");
  const Rule keep_sport = rule(Kind::kKeep, Field::kCategory, "体育");
  const std::vector<EvalCase> cases = {
      {"no rules", {}, ""},
      {"drop matches", {drop_title}, "drop title /广告|推广/ (feeds.yaml:7)"},
      {"drop does not match", {drop_other}, ""},
      {"first matching drop named",
       {drop_other, drop_title},
       "drop title /广告|推广/ (feeds.yaml:7)"},
      {"keep matches", {keep_tech}, ""},
      {"keep does not match", {keep_sport}, "no keep rule matched"},
      {"one keep of several is enough", {keep_sport, keep_tech}, ""},
      // Drop wins over keep, wherever it comes in the list.
      {"drop beats keep", {keep_tech, drop_title}, "drop title /广告|推广/ (feeds.yaml:7)"},
      {"author",
       {rule(Kind::kDrop, Field::kAuthor, "^营销号")},
       "drop author /^营销号/ (feeds.yaml:7)"},
      {"category: any tag",
       {rule(Kind::kDrop, Field::kCategory, "(?i)open source")},
       "drop category /(?i)open source/ (feeds.yaml:7)"},
      {"case-sensitive by default", {rule(Kind::kDrop, Field::kCategory, "open source")}, ""},
      {"link", {rule(Kind::kDrop, Field::kLink, "/ad/")}, "drop link //ad// (feeds.yaml:7)"},
      {"content",
       {rule(Kind::kDrop, Field::kContent, "买一送一")},
       "drop content /买一送一/ (feeds.yaml:7)"},
      // Anchors apply to the whole field, not to its lines or to a word.
      {"anchored", {rule(Kind::kDrop, Field::kTitle, "^新款")}, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RuleSet set;
    for (const auto& r : c.rules)
      set.add(r);
    const Verdict v = set.evaluate(item);
    EXPECT_EQ(v.drop, !c.want.empty());
    EXPECT_EQ(v.reason(), c.want);
    if (v.rule != nullptr) {
      EXPECT_GE(set.index_of(v.rule), 0);
      EXPECT_EQ(&set.rules()[static_cast<std::size_t>(set.index_of(v.rule))], v.rule);
    }
  }
}

TEST(RuleSet, DropLabelNamesIndexAndRule) {
  RuleSet set;
  set.add(rule(Kind::kKeep, Field::kTitle, "a"));
  set.add(rule(Kind::kDrop, Field::kLink, "b"));
  Item item;
  item.title = "a";
  item.link = "b";
  EXPECT_EQ(set.drop_label(set.evaluate(item)), "#1 drop link /b/");
  item.title = "x";
  item.link = "x";
  EXPECT_EQ(set.drop_label(set.evaluate(item)), "no keep rule matched");
}

TEST(RuleSet, NoTagsMatchNoCategoryRule) {
  RuleSet set;
  set.add(rule(Kind::kDrop, Field::kCategory, ".*"));
  Item item;
  item.title = "x";
  EXPECT_FALSE(set.evaluate(item).drop);
  set.add(rule(Kind::kKeep, Field::kCategory, ".*"));
  EXPECT_EQ(set.evaluate(item).reason(), "no keep rule matched");
}

TEST(RuleSet, NeedsContentOnlyWithAContentRule) {
  RuleSet set;
  EXPECT_FALSE(set.needs_content());
  set.add(rule(Kind::kDrop, Field::kTitle, "x"));
  EXPECT_FALSE(set.needs_content());
  set.add(rule(Kind::kKeep, Field::kContent, "y"));
  EXPECT_TRUE(set.needs_content());
  EXPECT_EQ(set.index_of(nullptr), -1);
}

// Patterns that make a backtracking engine take exponential time on a short input. RE2 runs
// them in time linear in the input; this test would not finish if it did not (CTest's timeout
// is the bound; no timing is asserted).
TEST(RuleSet, HostilePatternsAndInputFinish) {
  const std::string input = std::string(100000, 'a') + "!";
  const std::vector<std::string> hostile = {"(a+)+$", "(a|aa)+$", "(a|a?)+b$", "(.*a){20}$",
                                            "^(\\w+\\s?)*$"};
  for (const auto& p : hostile) {
    SCOPED_TRACE(p);
    RuleSet set;
    set.add(rule(Kind::kDrop, Field::kTitle, p));
    Item item;
    item.title = input;
    EXPECT_FALSE(set.evaluate(item).drop);
  }
  // Invalid UTF-8 and NUL bytes in the input are matched, not refused.
  RuleSet set;
  set.add(rule(Kind::kDrop, Field::kContent, "x\\x00y"));
  const std::string bytes("\xff\xfe x\0y", 6);
  Item item;
  item.content = bytes;
  EXPECT_TRUE(set.evaluate(item).drop);
}

// content is matched on its first kMaxContentBytes only.
TEST(RuleSet, ContentIsBounded) {
  RuleSet set;
  set.add(rule(Kind::kDrop, Field::kContent, "needle"));
  const std::string before = std::string(kMaxContentBytes - 6, 'x') + "needle";
  const std::string after = std::string(kMaxContentBytes - 5, 'x') + "needle";
  Item item;
  item.content = before;
  EXPECT_TRUE(set.evaluate(item).drop);
  item.content = after;
  EXPECT_FALSE(set.evaluate(item).drop);
}

}  // namespace
}  // namespace feedd::rules
