#include "image/referer.hpp"

#include "lib/curl/url.hpp"
#include "util/ascii.hpp"

namespace feedd::image {

RefererMap::RefererMap(std::vector<std::pair<std::string, std::string>> rules)
    : rules_(std::move(rules)) {
  for (auto& [suffix, referer] : rules_) {
    ascii_lower_in_place(suffix);
    while (suffix.starts_with('.'))
      suffix.erase(0, 1);
  }
}

std::string RefererMap::for_url(std::string_view url) const {
  const std::string host = lib::url_host(url);
  if (host.empty()) return {};
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& rule : rules_) {
    const std::string& suffix = rule.first;
    if (suffix.empty() || !host.ends_with(suffix)) continue;
    if (host.size() != suffix.size() && host[host.size() - suffix.size() - 1] != '.') continue;
    if (best == nullptr || suffix.size() > best->first.size()) best = &rule;
  }
  return best != nullptr ? best->second : std::string();
}

}  // namespace feedd::image
