#include "app/channel_poll.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/judge.hpp"
#include "lib/curl/url.hpp"

namespace feedd::app {

std::vector<std::string> category_names(const config::Channel& ch) {
  return {ch.top_name, ch.source_name, ch.name};
}

ChannelPoll::ChannelPoll(const config::Channel& channel, std::optional<store::ChannelState> stored,
                         std::chrono::sys_seconds now, std::vector<std::size_t> instances)
    : channel_(channel),
      instances_(std::move(instances)),
      path_(channel.path()),
      now_(now),
      state_(std::move(stored).value_or(store::ChannelState{})) {
  if (!via_rsshub()) instances_.clear();
}

bool ChannelPoll::via_rsshub() const {
  return !channel_.route.empty() && !instances_.empty() &&
         std::all_of(instances_.begin(), instances_.end(),
                     [&](std::size_t i) { return i < channel_.urls.size(); });
}

const std::string& ChannelPoll::url() const {
  return instances_.empty() ? channel_.url : channel_.urls[instances_.front()];
}

fetch::Request ChannelPoll::request() const {
  // Validators belong to a URL: when the config (or failover) points the channel elsewhere,
  // start fresh. The store keeps the URL redacted, so the redacted forms are compared.
  const std::string& u = url();
  if (state_.feed_url != lib::redact_url(u)) return {path_, u, {}};
  return {path_, u, {state_.etag, state_.last_modified}};
}

bool ChannelPoll::fail_over(const fetch::Result& r, schedule::InstanceHealth& health) {
  if (instances_.empty() || r.outcome == fetch::Outcome::kCancelled) return false;
  const std::size_t instance = instances_.front();
  if (r.ok()) {
    health.succeeded(instance);
    return false;
  }
  if (!schedule::instance_failure(r.http_status != 0, r.http_status)) return false;
  health.failed(instance, now_);
  if (instances_.size() < 2) return false;
  instances_.erase(instances_.begin());
  spdlog::warn("{}: {}: {}; trying {}", path_, lib::redact_url(r.url), r.reason,
               lib::redact_url(url()));
  return true;
}

void ChannelPoll::fail(std::string outcome, std::string reason) {
  ChannelReport& cr = *report_;
  cr.outcome = std::move(outcome);
  cr.error = std::move(reason);
  spdlog::error("{}: {}: {}", cr.path, cr.url, cr.error);
  state_.last_outcome = cr.outcome;
  state_.last_error = cr.error;
  ++state_.consecutive_failures;
}

std::optional<ParseJob> ChannelPoll::fetched(fetch::Result& r) {
  // Shutting down mid-fetch: nothing was learned, so nothing is recorded or reported.
  if (r.outcome == fetch::Outcome::kCancelled) return std::nullopt;
  report_.emplace();
  ChannelReport& cr = *report_;
  cr.path = path_;
  cr.url = lib::redact_url(url());
  cr.outcome = fetch::outcome_name(r.outcome);
  cr.retry_after = r.retry_after;
  cr.max_age = r.max_age;
  state_.last_poll = now_;
  if (state_.feed_url != cr.url) touched_ = true;  // atom:source names it
  state_.feed_url = cr.url;                        // redacted, as the store keeps it
  if (!r.ok()) {
    fail(cr.outcome, r.reason);
    return std::nullopt;
  }
  state_.last_outcome = cr.outcome;
  state_.last_error.clear();
  state_.consecutive_failures = 0;
  state_.last_success = now_;
  if (r.outcome == fetch::Outcome::kNotModified) return std::nullopt;
  state_.etag = r.validators.etag;
  state_.last_modified = r.validators.last_modified;
  ParseJob job;
  // The body moves to the pool and dies with the parse: memory is bounded by the bodies in
  // flight, not by the whole cycle.
  job.body = std::move(r.body);
  job.options.base_url = r.effective_url.empty() ? r.url : r.effective_url;
  job.options.content_type = r.content_type;
  job.options.timezone = channel_.timezone;
  job.options.encoding = channel_.encoding;
  return job;
}

parse::Result ChannelPoll::parse(const ParseJob& job) {
  return parse::parse_feed(job.body, job.options);
}

std::optional<MakeJob> ChannelPoll::parsed(parse::Result parsed, const config::Config& config,
                                           const store::Store& store) {
  ChannelReport& cr = *report_;
  if (!parsed.feed) {
    fail("parse_error", parsed.error);
    return std::nullopt;
  }
  auto& feed = *parsed.feed;
  for (const auto& w : feed.warnings)
    spdlog::warn("{}: {}: {}", cr.path, cr.url, w);
  // atom:source of every entry from this channel names the upstream feed.
  if (state_.feed_title != feed.title || state_.feed_link != feed.link) touched_ = true;
  state_.feed_title = feed.title;
  state_.feed_link = feed.link;
  cr.ttl = feed.ttl;
  MakeJob job{{}, {category_names(channel_), channel_.source_name, config.image_proxy, now_}};
  job.context.iframe_hosts = config.iframe_hosts;
  job.rules = &channel_.rules;
  for (auto& item : feed.items) {
    const std::string& key = item.guid.empty() ? item.link : item.guid;
    if (!key.empty() && store.item_seen(path_, key)) {
      // An article stored before digests were kept has none, and is never rewritten.
      if (channel_.updates) {
        const auto tracked = store.tracked_item(path_, key);
        if (tracked && !tracked->item_digest.empty() &&
            tracked->item_digest != article::item_digest(item)) {
          job.changed.emplace_back(std::move(item), tracked->hash);
          continue;
        }
      }
      ++cr.known_articles;
    } else {
      job.items.push_back(std::move(item));
    }
  }
  return job;
}

MadeArticles ChannelPoll::make_articles(const MakeJob& job) {
  MadeArticles made;
  for (const auto& [item, hash] : job.changed) {
    auto a = article::make_article(item, job.context);
    if (!a) continue;  // the title went: keep the version stored
    a->hash = hash;    // its file name and entry id stay
    a->updated = job.context.now;
    made.updated.push_back(std::move(*a));
  }
  for (const auto& item : job.items) {
    // An item without a usable title has nothing to hash and nothing to show.
    auto a = article::make_article(item, job.context);
    if (!a) continue;
    std::string key = item.guid.empty() ? item.link : item.guid;
    // Rules judge the article as its post would show it, before it is stored.
    if (const rules::Verdict v = judge(*job.rules, *a); v.drop) {
      made.dropped.push_back({std::move(key), job.rules->drop_label(v), a->title, v.reason()});
      continue;
    }
    made.articles.emplace_back(std::move(key), std::move(*a));
  }
  return made;
}

std::vector<article::Article> ChannelPoll::settle(store::Store& store) {
  std::vector<article::Article> fresh;
  if (!report_) return fresh;
  ChannelReport& cr = *report_;
  for (const DroppedItem& d : made_.dropped) {
    // Remembered like a seen item, so the rules do not run on it at every poll.
    if (!d.key.empty()) store.mark_item_seen(path_, d.key, now_);
    ++cr.dropped;
    ++cr.drops[d.label];
    spdlog::info("{}: dropped \"{}\": {}", cr.path, d.title, d.reason);
  }
  for (const article::Article& a : made_.updated) {
    if (!store.update_article(a)) continue;  // pruned meanwhile: nothing to rewrite
    // The post is rendered from the stored row: its date and categories stay the first
    // version's, whatever this one carries.
    if (auto stored = store.article(a.hash)) {
      ++cr.updated;
      touched_ = true;
      spdlog::info("{}: updated \"{}\"", cr.path, stored->title);
      fresh.push_back(std::move(*stored));
    }
  }
  for (auto& [key, a] : made_.articles) {
    touched_ = true;  // a new article, or a known one now listed here too
    if (store.add_article(a, path_, now_) == store::AddOutcome::kNew) {
      ++cr.new_articles;
      fresh.push_back(std::move(a));
    } else {
      ++cr.known_articles;
      known_listed_.push_back(a.hash);
    }
    if (!key.empty()) store.mark_item_seen(path_, key, now_);
  }
  made_ = {};
  store.set_channel_state(path_, state_);
  return fresh;
}

std::vector<std::size_t> InOrder::done(std::size_t i) {
  std::vector<std::size_t> released;
  if (i >= done_.size() || done_[i]) return released;
  done_[i] = true;
  while (next_ < done_.size() && done_[next_])
    released.push_back(next_++);
  return released;
}

}  // namespace feedd::app
