#include "app/commands.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <memory>

#include "app/explain.hpp"
#include "app/images.hpp"
#include "app/pipeline.hpp"
#include "config/config.hpp"
#include "emit/emit.hpp"
#include "fetch/fetcher.hpp"
#include "lib/curl/url.hpp"
#include "notify/notifier.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

namespace feedd::app {
namespace {

// How long `feedd once` waits for the webhook: long enough for a retry or two of a failed POST.
constexpr std::chrono::milliseconds kOnceWebhookWait{15000};

// Loads the config, logging warnings and errors; nullopt after errors.
std::optional<config::Config> load(const CommonOptions& opts) {
  auto r = config::load_config(opts.config);
  for (const auto& w : r.warnings)
    spdlog::warn("{}", w);
  for (const auto& e : r.errors)
    spdlog::error("{}", e);
  return std::move(r.config);
}

std::unique_ptr<store::Store> open_store(const config::Config& cfg) {
  try {
    std::filesystem::create_directories(cfg.state.parent_path());
    return std::make_unique<store::Store>(cfg.state);
  } catch (const std::exception& e) {
    spdlog::error("{}: cannot open the store: {}", cfg.state.string(), e.what());
    return nullptr;
  }
}

// "<N>" syslog priority prefix for journald (sd-daemon(3)).
class JournalPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPrio[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const std::string_view p = kPrio[static_cast<int>(msg.level)];
    dest.append(p.data(), p.data() + p.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriorityFlag>();
  }
};

}  // namespace

void setup_logging(const std::string& level, bool journal) {
  auto logger =
      std::make_shared<spdlog::logger>("feedd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (journal) {
    formatter->add_flag<JournalPriorityFlag>('*').set_pattern("%*%v");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S %l: %v");
  }
  logger->set_formatter(std::move(formatter));
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    throw spdlog::spdlog_ex("unknown log level \"" + level + "\"");
  }
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

int cmd_once(const CommonOptions& opts, std::ostream& out) {
  auto cfg = load(opts);
  if (!cfg) return kExitUsage;
  auto store = open_store(*cfg);
  if (!store) return kExitFailed;
  auto fetcher = fetch::make_curl_fetcher();
  Pipeline pipeline(*cfg, *store);
  // The same cycle the daemon runs: inbox, polls, retention.
  const auto now = now_seconds();
  std::vector<notify::NewPost> new_posts;  // the inbox's and the cycle's, for one hook run
  pipeline.import_inbox(now, &new_posts);
  pipeline.prune(now);  // before the cycle, whose views then no longer list pruned articles
  const auto report = pipeline.run_cycle(*fetcher, now);
  out << report.summary() << "\n";
  new_posts.insert(new_posts.end(), report.new_posts.begin(), report.new_posts.end());
  if (!new_posts.empty()) {
    // The hook runs to its end before the process exits; the webhook gets its first attempts
    // (kOnceWebhookWait), not the daemon's whole retry schedule.
    notify::Notifier notifier(cfg->on_new_posts, cfg->webhook, cfg->output / "posts");
    notifier.after_cycle(new_posts);
    notifier.wait(kOnceWebhookWait);
    if (notifier.stats().webhook.queued > 0)
      spdlog::error("webhook: not delivered within {} s; given up",
                    kOnceWebhookWait.count() / 1000);
  }
  if (!report.write_error.empty()) return kExitFailed;
  if (report.channels_ok == 0 && report.channels_failed > 0) return kExitFailed;
  return kExitOk;
}

int cmd_import(const CommonOptions& opts, const std::vector<std::string>& paths,
               std::ostream& out) {
  if (paths.empty()) {
    spdlog::error("import: name at least one article file or folder");
    return kExitUsage;
  }
  auto cfg = load(opts);
  if (!cfg) return kExitUsage;
  auto store = open_store(*cfg);
  if (!store) return kExitFailed;
  Pipeline pipeline(*cfg, *store);
  std::vector<std::filesystem::path> p(paths.begin(), paths.end());
  const auto report = pipeline.import_paths(p, now_seconds());
  out << report.summary() << "\n";
  return report.failed > 0 || !report.write_error.empty() ? kExitFailed : kExitOk;
}

int cmd_check(const CommonOptions& opts, std::ostream& out, const std::string& explain) {
  auto cfg = load(opts);
  if (!cfg) return kExitUsage;
  if (!explain.empty()) {
    auto fetcher = fetch::make_curl_fetcher();
    return explain_channel(*cfg, explain, *fetcher, now_seconds(), out, std::cerr);
  }
  std::map<std::string, const config::Channel*> channels;
  for (const auto* ch : cfg->channels())
    channels.emplace(ch->path(), ch);
  out << opts.config.string() << ": ok\n"
      << "output: " << cfg->output.string() << "\nstate:  " << cfg->state.string() << "\n";
  // What runs or is contacted besides the feeds, secrets redacted.
  out << "rsshub:";
  for (const auto& instance : cfg->rsshub)
    out << " " << lib::redact_url(instance);
  out << (cfg->rsshub_key.empty() ? "" : " (with rsshub_key)") << "\n";
  if (!cfg->on_new_posts.empty()) {
    out << "on_new_posts:";
    for (const auto& arg : cfg->on_new_posts)
      out << " " << arg;
    out << "\n";
  }
  if (!cfg->webhook.empty()) out << "webhook: " << lib::redact_url(cfg->webhook) << "\n";
  out << describe_images(*cfg);
  for (const auto& node : emit::feed_nodes(*cfg)) {
    const std::string indent(static_cast<std::size_t>(node.depth) * 2, ' ');
    const auto last = node.title.rfind(" › ");
    const std::string name = last == std::string::npos ? node.title : node.title.substr(last + 5);
    out << indent << name;
    if (!node.upstream_url.empty()) out << "  " << node.upstream_url;
    out << "  → " << node.file << "\n";
    // The rules in effect for a channel, inherited ones included, numbered as /metrics and
    // --explain name them.
    const auto ch = channels.find(node.path);
    if (node.depth != 3 || ch == channels.end()) continue;
    const rules::RuleSet& set = ch->second->rules;
    for (const auto& rule : set.rules())
      out << indent << "  #" << set.index_of(&rule) << " " << rule.describe() << "\n";
  }
  return kExitOk;
}

}  // namespace feedd::app
