#pragma once
// The drop/keep rules (rules/) applied to an article (article/): what each rule field means for
// a made article. Pure; thread-safe (RuleSet matching is); never throws but std::bad_alloc.
#include "article/article.hpp"
#include "rules/rules.hpp"

namespace feedd::app {

// `rules` evaluated on `a`: title = its title, author = its creator (the upstream author),
// category = each of its tags, link = its link, content = the text of its HTML (made only when
// a rule looks at it, cut at rules::kMaxContentBytes). The Verdict points into `rules`.
rules::Verdict judge(const rules::RuleSet& rules, const article::Article& a);

}  // namespace feedd::app
