#include "app/judge.hpp"

#include <string>

namespace feedd::app {

rules::Verdict judge(const rules::RuleSet& rules, const article::Article& a) {
  if (rules.empty()) return {};
  rules::Item item;
  item.title = a.title;
  item.author = a.creator;
  item.categories = &a.tags;
  item.link = a.link;
  std::string content;
  // The text costs a parse of the body: only for a set that matches on it.
  if (rules.needs_content()) content = article::html_to_text(a.html, rules::kMaxContentBytes);
  item.content = content;
  return rules.evaluate(item);
}

}  // namespace feedd::app
