#include "image/download.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "fetch/http_headers.hpp"

namespace feedd::image {
namespace {

struct Got {
  Fate fate = Fate::kRetry;
  std::string file;
  std::size_t bytes = 0;
  std::string reason;
};

// What a failed fetch means for the next cycle.
Fate fate_of(const fetch::Result& r) {
  switch (r.outcome) {
    case fetch::Outcome::kHttpError:
      // The server may recover (5xx, 408, 429); a 4xx is its answer about this URL.
      return r.http_status >= 500 || r.http_status == 408 || r.http_status == 429 ||
                     r.http_status < 400
                 ? Fate::kRetry
                 : Fate::kGiveUp;
    case fetch::Outcome::kTooLarge:
      return Fate::kGiveUp;
    case fetch::Outcome::kNetworkError:
      // The SSRF guard's answer does not change; nor does a URL that is not http(s).
      return r.reason.starts_with("refused: ") || r.reason.starts_with("invalid URL") ||
                     r.reason.starts_with("unsupported protocol")
                 ? Fate::kGiveUp
                 : Fate::kRetry;
    default:
      return Fate::kRetry;
  }
}

// The fate of one fetched image; an accepted one is staged into `pending` (published with its
// wave: one syncfs for all of them instead of a flush per image).
Got judge(fetch::Result& r, const ImageStore& store, ImageStore::Pending& pending) {
  Got g;
  if (r.outcome != fetch::Outcome::kOk) {
    g.fate = fate_of(r);
    g.reason =
        r.outcome == fetch::Outcome::kNotModified ? "HTTP 304 without a request for it" : r.reason;
    return g;
  }
  g.bytes = r.body.size();
  const Sniffed s = sniff(r.body, r.content_type);
  if (!s.type) {
    g.fate = Fate::kGiveUp;
    g.reason = s.reason;
    return g;
  }
  pending = store.stage(r.body, *s.type);
  if (!pending.stored.error.empty()) {
    g.fate = Fate::kRetry;  // our disk, not their image
    g.reason = pending.stored.error;
    return g;
  }
  g.fate = Fate::kStored;  // once published
  g.file = pending.stored.file;
  return g;
}

}  // namespace

fetch::Limits image_fetch_limits(const FetchOptions& options) {
  fetch::Limits l;
  l.max_parallel = options.max_parallel;
  l.max_per_host = options.max_per_host;
  l.total_timeout = options.timeout;
  l.connect_timeout = std::min(options.timeout, l.connect_timeout);
  l.max_body = options.max_image_bytes;
  l.accept = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1";
  l.refuse_private_addresses = !options.private_hosts;
  l.exempt_endpoints = options.exempt_endpoints;
  l.referer = [referers = options.referers](const std::string& url) {
    return referers.for_url(url);
  };
  return l;
}

const char* fate_name(Fate fate) {
  switch (fate) {
    case Fate::kStored:
      return "stored";
    case Fate::kRetry:
      return "retry";
    case Fate::kGiveUp:
      return "give up";
  }
  return "retry";
}

std::vector<ArticleOutcome> download(fetch::Fetcher& fetcher, const ImageStore& store,
                                     const std::vector<Wanted>& wanted, const Caps& caps) {
  // Each article's distinct URLs, the ones over its count cap set aside.
  std::vector<ArticleOutcome> out(wanted.size());
  std::vector<std::string> queue;  // distinct URLs to fetch, first use first
  std::map<std::string, Got> got;
  for (std::size_t a = 0; a < wanted.size(); ++a) {
    out[a].article = wanted[a].article;
    std::set<std::string> seen;
    for (const std::string& url : wanted[a].urls) {
      if (!seen.insert(url).second) continue;
      ImageOutcome o{url, Fate::kRetry, {}, {}};
      if (seen.size() > caps.images_per_article) {
        o.fate = Fate::kGiveUp;
        o.reason =
            "over the cap of " + std::to_string(caps.images_per_article) + " images per article";
      } else if (got.emplace(url, Got{}).second) {
        queue.push_back(url);
      }
      out[a].images.push_back(std::move(o));
    }
  }

  std::size_t cycle_bytes = 0;
  std::vector<ImageStore::Pending> staged;  // accepted images, published after the last wave
  std::vector<std::string> staged_urls;
  const std::size_t wave = std::max<std::size_t>(1, caps.wave);
  for (std::size_t start = 0; start < queue.size(); start += wave) {
    const std::size_t end = std::min(queue.size(), start + wave);
    if (cycle_bytes >= caps.bytes_per_cycle) {
      for (std::size_t i = start; i < queue.size(); ++i) {
        got[queue[i]] = {
            Fate::kRetry,
            {},
            0,
            "the cycle's cap of " + fetch::describe_size(caps.bytes_per_cycle) + " was reached"};
      }
      break;
    }
    std::vector<fetch::Request> requests;
    for (std::size_t i = start; i < end; ++i)
      requests.push_back({queue[i], queue[i], {}});
    // Judged as each arrives, so a wave holds at most its in-flight bodies, not all of them.
    fetcher.fetch_all(requests, [&](fetch::Result& r) {
      ImageStore::Pending pending;
      Got g = judge(r, store, pending);
      cycle_bytes += r.body.size();
      r.body.clear();
      r.body.shrink_to_fit();
      if (g.fate == Fate::kStored) {
        staged.push_back(std::move(pending));
        staged_urls.push_back(r.key);
      }
      got[r.key] = std::move(g);
    });
  }
  // One syncfs for the whole run, then the renames: a flush per image (or per wave, on a busy
  // disk) cost more than the downloads. What is staged is bounded by the cycle cap.
  ImageStore::publish(staged);
  for (std::size_t i = 0; i < staged.size(); ++i) {
    if (staged[i].stored.ok) continue;
    Got& g = got[staged_urls[i]];
    g.fate = Fate::kRetry;
    g.file.clear();
    g.reason = staged[i].stored.error;
  }

  for (ArticleOutcome& article : out) {
    std::size_t bytes = 0;
    for (ImageOutcome& o : article.images) {
      if (o.fate == Fate::kGiveUp && !o.reason.empty()) continue;  // over the count cap
      const Got& g = got.at(o.url);
      o.fate = g.fate;
      o.file = g.file;
      o.reason = g.reason;
      if (g.fate != Fate::kStored) continue;
      bytes += g.bytes;
      if (bytes > caps.bytes_per_article) {
        o.fate = Fate::kGiveUp;
        o.file.clear();
        o.reason = "over the cap of " + fetch::describe_size(caps.bytes_per_article) +
                   " of images per article";
      }
    }
  }
  return out;
}

}  // namespace feedd::image
