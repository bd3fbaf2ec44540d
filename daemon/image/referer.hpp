#pragma once
// The `referer:` map of feeds.yaml: image hosts that refuse hotlinks answer only with their own
// site as Referer (`sinaimg.cn: https://weibo.com/`). Pure; thread-safe for reading.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace feedd::image {

class RefererMap {
 public:
  RefererMap() = default;
  // `rules`: host suffix (lower-case, no leading dot) → Referer to send.
  explicit RefererMap(std::vector<std::pair<std::string, std::string>> rules);

  // The Referer for `url`: the rule with the longest suffix that is the URL's host or ends it
  // at a label boundary ("sinaimg.cn" matches "wx1.sinaimg.cn", not "notsinaimg.cn"); "" when
  // none matches (the default: no Referer at all).
  std::string for_url(std::string_view url) const;

 private:
  std::vector<std::pair<std::string, std::string>> rules_;
};

}  // namespace feedd::image
