#pragma once
// One channel's poll within a cycle, through its steps: fetched → parsed → articles made →
// settled. ChannelPoll owns the channel's state and report for the cycle; the steps are the
// only way they change. InOrder releases the polls for settling in feeds.yaml order.
//
// Threading: everything here runs on the pipeline's owner thread except make_articles() and
// parse(), which are pure and run on the work pool. Throws only store::StoreError (from the
// store calls of parsed() and settle()), which rolls the cycle back.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/pipeline_report.hpp"
#include "article/article.hpp"
#include "config/config.hpp"
#include "fetch/fetcher.hpp"
#include "parse/feed.hpp"
#include "rules/rules.hpp"
#include "schedule/instances.hpp"
#include "store/store.hpp"

namespace feedd::app {

// Channel display path, e.g. {"新媒体", "ZAKER", "source"}: the categories of its articles.
std::vector<std::string> category_names(const config::Channel& ch);

// An item the channel's rules dropped (issue 14).
struct DroppedItem {
  std::string key;     // GUID, else link; "" when the item has neither
  std::string label;   // rules::RuleSet::drop_label, for the per-rule counts
  std::string title;   // as the post would have had it
  std::string reason;  // rules::Verdict::reason
};

// What the pool made of a channel's new items.
struct MadeArticles {
  // Articles to store, each with its item key (GUID, else link; "" when neither).
  std::vector<std::pair<std::string, article::Article>> articles;
  std::vector<DroppedItem> dropped;  // judged by the channel's rules, never stored
  // updates: true — articles made again from changed items, under their stored hash.
  std::vector<article::Article> updated;
};

// A body to parse, on the pool.
struct ParseJob {
  std::string body;
  parse::Options options;
};

// Items not seen before in this channel, to make articles of, on the pool.
struct MakeJob {
  std::vector<parse::FeedItem> items;
  article::Context context;
  // The channel's drop/keep rules (the config's, which outlives the cycle; matching is
  // thread-safe); never null.
  const rules::RuleSet* rules = nullptr;
  // updates: true — seen items whose title or body changed since their article was stored,
  // each with that article's hash.
  std::vector<std::pair<parse::FeedItem, std::string>> changed{};
};

class ChannelPoll {
 public:
  // `channel` must outlive the poll; `stored` is the store's state of the channel, if any.
  // `instances`: for a route, the indices of the RSSHub instances (config order, the same as
  // channel.urls) to try in this cycle, in order; ignored for a url:.
  ChannelPoll(const config::Channel& channel, std::optional<store::ChannelState> stored,
              std::chrono::sys_seconds now, std::vector<std::size_t> instances = {});

  const std::string& path() const { return path_; }
  // The conditional GET of this channel on its current URL (for a route, on the instance to
  // try now); the validators only when they were earned on that URL.
  fetch::Request request() const;
  // Before fetched(): when `result` says the instance this route tried is unwell
  // (schedule::instance_failure), records that in `health` and, if another instance is left,
  // moves on to it and returns true: the caller then fetches request() again and does not
  // call fetched() for this result. A success clears the instance in `health`. False for a
  // url: channel.
  bool fail_over(const fetch::Result& result, schedule::InstanceHealth& health);

  // Records the fetch. Returns the body to parse, or nullopt when there is nothing to parse
  // (failure, 304, cancellation): the poll is then ready to settle.
  std::optional<ParseJob> fetched(fetch::Result& result);
  static parse::Result parse(const ParseJob& job);
  // Records the parse. Returns the items this channel has not seen (read from `store`), and
  // with `updates: true` the seen ones that changed, or nullopt when the body was not a feed:
  // the poll is then ready to settle.
  std::optional<MakeJob> parsed(parse::Result result, const config::Config& config,
                                const store::Store& store);
  // Makes the articles and judges each by the channel's rules (app/judge.hpp), on the pool.
  static MadeArticles make_articles(const MakeJob& job);
  void made(MadeArticles articles) { made_ = std::move(articles); }

  // In feeds.yaml order, inside the cycle's transaction: records the channel's state and its
  // articles in `store`, and marks each dropped item seen (its key, not its title hash: a
  // channel without the rule still takes the article). Returns the articles new to the store,
  // whose files must be written, and those rewritten (updates: true), as stored: their date
  // and categories are the first version's. A cancelled poll records nothing.
  std::vector<article::Article> settle(store::Store& store);

  // Whether the feeds listing this channel change with this poll (articles or upstream
  // details); meaningful after settle().
  bool touched() const { return touched_; }
  // The title hashes of the articles this poll listed that were stored before (by another
  // channel, or an earlier cycle): now carried by this channel too; after settle().
  const std::vector<std::string>& known_listed() const { return known_listed_; }
  // For a route: the index (in config.rsshub) of the instance that answered; after fetched().
  std::optional<std::size_t> served_by() const {
    if (instances_.empty() || !report_ || !report_->ok()) return std::nullopt;
    return instances_.front();
  }
  // The report; nullopt when the fetch was cancelled (nothing was learned).
  std::optional<ChannelReport> take_report() { return std::move(report_); }

 private:
  void fail(std::string outcome, std::string reason);

  // Whether this channel is a route with one URL per instance (failover applies).
  bool via_rsshub() const;
  // The URL fetched now: for a route, on the current instance.
  const std::string& url() const;

  const config::Channel& channel_;
  std::vector<std::size_t> instances_;  // instance indices left to try, current first
  std::string path_;
  std::chrono::sys_seconds now_;
  store::ChannelState state_;
  std::optional<ChannelReport> report_;
  MadeArticles made_;
  bool touched_ = false;
  std::vector<std::string> known_listed_;
};

// Releases indices 0..n-1 in order as each is marked done, whatever order they are done in.
// Articles enter the store in feeds.yaml order so that a title carried by several channels is
// always filed under the same (first) one.
class InOrder {
 public:
  explicit InOrder(std::size_t n) : done_(n, false) {}
  // Marks `i` done (once); returns the indices this releases, in order (maybe none).
  std::vector<std::size_t> done(std::size_t i);

 private:
  std::vector<bool> done_;
  std::size_t next_ = 0;
};

}  // namespace feedd::app
