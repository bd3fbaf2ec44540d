#pragma once
// A scripted fetch::Fetcher for in-process tests of whatever drives one (the cycle): each URL
// answers with the Result it was given, and results are handed to `on_result` in an order the
// test chooses, so that completion order can differ from request order as it does on a network.
// Not thread-safe, like the real one: one fetch_all at a time.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "fetch/fetcher.hpp"

namespace feedd::fetch {

// A 200 response carrying `body` as `content_type`, for scripting answers.
inline Result ok_response(std::string body, std::string content_type) {
  Result r;
  r.outcome = Outcome::kOk;
  r.http_status = 200;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

class FakeFetcher final : public Fetcher {
 public:
  // What a request for `url` gets; key, url and effective_url are filled in from the request.
  void answer(const std::string& url, Result result) { answers_[url] = std::move(result); }
  void answer_body(const std::string& url, std::string body) {
    Result r = ok_response(std::move(body), "application/rss+xml; charset=utf-8");
    r.validators = {"\"etag-of-" + url + "\"", ""};
    answer(url, std::move(r));
  }
  void answer_not_modified(const std::string& url) {
    Result r;
    r.outcome = Outcome::kNotModified;
    r.http_status = 304;
    answer(url, std::move(r));
  }
  // Results are completed last request first (true) or in request order (false).
  void complete_in_reverse(bool reverse) { reverse_ = reverse; }

  // Every request seen, in the order fetch_all was given them.
  const std::vector<Request>& requests() const { return requests_; }

  std::vector<Result> fetch_all(const std::vector<Request>& requests,
                                const std::function<void(Result&)>& on_result) override {
    std::vector<Result> results(requests.size());
    std::vector<std::size_t> order(requests.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    if (reverse_) std::reverse(order.begin(), order.end());
    requests_.insert(requests_.end(), requests.begin(), requests.end());
    for (const std::size_t i : order) {
      const Request& request = requests[i];
      const auto it = answers_.find(request.url);
      Result r;
      if (it == answers_.end()) {
        r.outcome = Outcome::kNetworkError;
        r.reason = "no answer scripted";
      } else {
        r = it->second;
      }
      r.key = request.key;
      r.url = request.url;
      r.effective_url = request.url;
      if (r.outcome == Outcome::kNotModified) r.validators = request.validators;
      if (on_result) on_result(r);
      results[i] = std::move(r);
    }
    return results;
  }

  void cancel() override {}

 private:
  std::map<std::string, Result> answers_;
  std::vector<Request> requests_;
  bool reverse_ = false;
};

}  // namespace feedd::fetch
