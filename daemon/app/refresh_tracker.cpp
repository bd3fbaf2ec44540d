#include "app/refresh_tracker.hpp"

#include <algorithm>
#include <utility>

namespace feedd::app {

bool RefreshProgress::done() const {
  return std::all_of(channels.begin(), channels.end(),
                     [](const ChannelProgress& c) { return c.done(); });
}

std::uint64_t RefreshTracker::add(ChannelList channels, std::uint64_t first_cycle) {
  const std::uint64_t id = ++last_id_;
  refreshes_[id] = {first_cycle, std::move(channels)};
  while (refreshes_.size() > history_)
    refreshes_.erase(refreshes_.begin());
  return id;
}

void RefreshTracker::record(const std::string& channel, ChannelResult result) {
  results_[channel] = std::move(result);
}

std::optional<RefreshProgress> RefreshTracker::progress(
    std::uint64_t id, const std::function<bool(const std::string&)>& removed) const {
  const auto it = refreshes_.find(id);
  if (it == refreshes_.end()) return std::nullopt;
  RefreshProgress p;
  p.id = id;
  const Record& record = it->second;
  if (!record.channels) return p;
  p.channels.reserve(record.channels->size());
  for (const std::string& channel : *record.channels) {
    ChannelProgress c;
    c.channel = channel;
    c.removed = removed(channel);
    if (!c.removed) {
      const auto r = results_.find(channel);
      if (r != results_.end() && r->second.cycle >= record.first_cycle) c.result = r->second;
    }
    p.channels.push_back(std::move(c));
  }
  return p;
}

}  // namespace feedd::app
