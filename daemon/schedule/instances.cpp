#include "schedule/instances.hpp"

#include <algorithm>

namespace feedd::schedule {

bool instance_failure(bool answered, long http_status) {
  if (!answered) return true;
  return http_status >= 500 || http_status == 403 || http_status == 429;
}

std::vector<std::size_t> InstanceHealth::order(Time now) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < state_.size(); ++i)
    if (!skipped(i, now)) out.push_back(i);
  if (out.empty() && !state_.empty()) {
    const auto soonest =
        std::min_element(state_.begin(), state_.end(),
                         [](const State& a, const State& b) { return a.until < b.until; });
    out.push_back(static_cast<std::size_t>(soonest - state_.begin()));
  }
  return out;
}

void InstanceHealth::failed(std::size_t i, Time now) {
  if (i >= state_.size()) return;
  State& s = state_[i];
  auto backoff = kFirstBackoff;
  for (int n = 0; n < s.failures && backoff < kMaxBackoff; ++n)
    backoff *= 2;
  ++s.failures;
  s.until = now + std::min(backoff, kMaxBackoff);
}

void InstanceHealth::succeeded(std::size_t i) {
  if (i < state_.size()) state_[i] = State{};
}

bool InstanceHealth::skipped(std::size_t i, Time now) const {
  return i < state_.size() && state_[i].failures > 0 && now < state_[i].until;
}

}  // namespace feedd::schedule
