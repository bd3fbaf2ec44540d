#include "app/explain.hpp"

#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/judge.hpp"
#include "article/article.hpp"
#include "lib/curl/url.hpp"
#include "parse/feed.hpp"

namespace feedd::app {
namespace {

std::string numbered(const rules::RuleSet& set, const rules::Rule& rule) {
  return "#" + std::to_string(set.index_of(&rule)) + " " + rule.describe();
}

}  // namespace

int explain_channel(const config::Config& config, std::string_view path, fetch::Fetcher& fetcher,
                    std::chrono::sys_seconds now, std::ostream& out, std::ostream& err) {
  const config::Channel* channel = nullptr;
  for (const auto* ch : config.channels()) {
    if (ch->path() == path) channel = ch;
  }
  if (channel == nullptr) {
    err << "feedd: no channel " << path << " in " << config.file.string()
        << " (give its top/source/channel path, as `feedd check` shows it)\n";
    return kExitUsage;
  }
  const config::Channel& ch = *channel;
  const rules::RuleSet& set = ch.rules;
  const std::string url = lib::redact_url(ch.url);
  out << ch.path() << ": " << url << "\n";
  if (set.empty()) {
    out << "rules: none\n";
  } else {
    out << "rules:\n";
    for (const auto& rule : set.rules())
      out << "  " << numbered(set, rule) << "\n";
  }

  // No validators: an explanation needs the body, whatever the daemon fetched last.
  auto results = fetcher.fetch_all({{ch.path(), ch.url, {}}});
  if (results.empty() || results.front().outcome != fetch::Outcome::kOk) {
    const std::string reason = results.empty() ? "no result" : results.front().reason;
    err << ch.path() << ": " << url << ": " << reason << "\n";
    return kExitFailed;
  }
  fetch::Result& r = results.front();
  parse::Options options;
  options.base_url = r.effective_url.empty() ? r.url : r.effective_url;
  options.content_type = r.content_type;
  options.timezone = ch.timezone;
  options.encoding = ch.encoding;
  const parse::Result parsed = parse::parse_feed(r.body, options);
  if (!parsed.feed) {
    err << ch.path() << ": " << url << ": " << parsed.error << "\n";
    return kExitFailed;
  }

  article::Context context{
      {ch.top_name, ch.source_name, ch.name}, ch.source_name, config.image_proxy, now};
  context.iframe_hosts = config.iframe_hosts;
  std::vector<std::string> lines;
  int kept = 0;
  int dropped = 0;
  for (const auto& item : parsed.feed->items) {
    const auto a = article::make_article(item, context);
    if (!a) {
      lines.push_back("skip  (no title)");
      continue;
    }
    const rules::Verdict v = judge(set, *a);
    if (!v.drop) {
      ++kept;
      lines.push_back("keep  " + a->title);
      continue;
    }
    ++dropped;
    const std::string why = v.rule != nullptr ? numbered(set, *v.rule) : v.reason();
    lines.push_back("drop  " + a->title + "  [" + why + "]");
  }
  out << "items: " << parsed.feed->items.size() << " (" << kept << " kept, " << dropped
      << " dropped)\n";
  for (const auto& line : lines)
    out << "  " << line << "\n";
  return kExitOk;
}

}  // namespace feedd::app
