#pragma once
// Which refreshes were asked for and how far each has come: the record behind POST /refresh
// and GET /refresh/N. A plain value: no clock, no I/O, no threads of its own. In `feedd run` the
// event-loop thread owns the daemon's one instance (see Daemon).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace feedd::app {

// The latest known result of one channel.
struct ChannelResult {
  std::uint64_t cycle = 0;  // the cycle that polled it
  std::string outcome;      // ChannelReport::outcome, or "error" for a cycle rolled back
  int new_articles = 0;
  std::string error;
};

struct ChannelProgress {
  std::string channel;
  bool removed = false;                 // by a reload since the request: it is done, unpolled
  std::optional<ChannelResult> result;  // set when done and not removed
  bool done() const { return removed || result.has_value(); }
};

struct RefreshProgress {
  std::uint64_t id = 0;
  std::vector<ChannelProgress> channels;  // in the order requested
  bool done() const;
};

class RefreshTracker {
 public:
  // Channel lists are shared: every refresh of all channels can point at the same list, so a
  // history of `history` refreshes of thousands of channels costs one list.
  using ChannelList = std::shared_ptr<const std::vector<std::string>>;

  // Keeps the newest `history` refreshes; older ids are forgotten (progress() gives nullopt).
  explicit RefreshTracker(std::size_t history = 256) : history_(history) {}

  // Records a refresh of `channels` that the cycle numbered `first_cycle` or a later one
  // serves; returns its id (1, 2, …).
  std::uint64_t add(ChannelList channels, std::uint64_t first_cycle);

  // The result of polling `channel` in cycle `result.cycle`.
  void record(const std::string& channel, ChannelResult result);

  // Refresh `id`'s progress; `removed(channel)` tells a channel no longer configured. nullopt for
  // an id never given or already forgotten.
  std::optional<RefreshProgress> progress(
      std::uint64_t id, const std::function<bool(const std::string&)>& removed) const;

 private:
  struct Record {
    std::uint64_t first_cycle = 0;
    ChannelList channels;
  };
  std::size_t history_;
  std::uint64_t last_id_ = 0;
  std::map<std::uint64_t, Record> refreshes_;
  std::map<std::string, ChannelResult> results_;
};

}  // namespace feedd::app
