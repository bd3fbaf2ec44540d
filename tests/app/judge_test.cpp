// The rules applied to made articles: which article field each rule field reads.
#include "app/judge.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace feedd::app {
namespace {

rules::RuleSet one(rules::Kind kind, rules::Field field, const std::string& pattern) {
  rules::Compiled c = rules::compile(kind, field, pattern, "feeds.yaml:3");
  EXPECT_TRUE(c.rule) << c.error;
  rules::RuleSet set;
  set.add(*c.rule);
  return set;
}

TEST(Judge, EachFieldReadsTheArticle) {
  article::Article a;
  a.title = "【推广】耳机";
  a.author = "测试源";  // the source: not what `author` rules read
  a.creator = "营销号";
  a.tags = {"数码", "广告"};
  a.link = "https://news.example.com/ad/1";
  a.html = "<p>买一<b>送一</b> &amp; 包邮</p>";
  struct Case {
    rules::Field field;
    std::string pattern;
    bool drop;
  };
  const std::vector<Case> cases = {
      {rules::Field::kTitle, "推广", true},
      {rules::Field::kTitle, "营销号", false},
      {rules::Field::kAuthor, "^营销号$", true},
      {rules::Field::kAuthor, "测试源", false},
      {rules::Field::kCategory, "^广告$", true},
      {rules::Field::kCategory, "^数码广告$", false},
      {rules::Field::kLink, "/ad/", true},
      // content is the text: tags gone, entities decoded.
      {rules::Field::kContent, "买一送一 & 包邮", true},
      {rules::Field::kContent, "<b>", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.pattern);
    EXPECT_EQ(judge(one(rules::Kind::kDrop, c.field, c.pattern), a).drop, c.drop);
  }
  EXPECT_FALSE(judge(rules::RuleSet{}, a).drop);
}

}  // namespace
}  // namespace feedd::app
