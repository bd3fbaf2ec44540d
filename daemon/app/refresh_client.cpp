#include "app/refresh_client.hpp"

// Boost 1.74's property_tree includes the deprecated <boost/bind.hpp>, which prints a pragma
// message on every build unless its global placeholders are asked for explicitly.
#define BOOST_BIND_GLOBAL_PLACEHOLDERS
#include <curl/curl.h>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "app/commands.hpp"
#include "lib/curl/easy.hpp"
#include "lib/curl/slist.hpp"
#include "util/utf8.hpp"

namespace feedd::app {
namespace {

namespace pt = boost::property_tree;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kConnectTimeout = 3s;
constexpr auto kRequestTimeout = 10s;
constexpr auto kPollInterval = 250ms;
constexpr std::size_t kMaxBody = 1 << 20;
// property_tree's JSON reader recurses once per nesting level; a body with fewer opening
// brackets than this cannot nest deeper, and a progress reply needs one per channel (+2).
constexpr std::size_t kMaxContainers = 8192;
// A daemon that stops answering mid-refresh (crash, restart) is given up on after this many
// failed polls in a row, instead of waiting out the whole timeout.
constexpr int kMaxPollFailures = 3;
constexpr std::size_t kMaxPrintedText = 512;

struct Reply {
  bool answered = false;  // an HTTP response arrived; else `error` says why not
  bool connected = false;
  long status = 0;
  std::string body;
  std::string error;
};

// One connection's worth of requests to the daemon (the easy handle keeps it alive between
// polls). Not thread-safe.
class DaemonClient {
 public:
  DaemonClient(std::string base, const std::string& token) : base_(std::move(base)) {
    easy_.set(CURLOPT_NOSIGNAL, 1L);
    easy_.set(CURLOPT_PROTOCOLS_STR, "http");
    // Our own daemon is reached directly: a proxy from the environment must never see the
    // bearer token, nor stand in for the daemon.
    easy_.set(CURLOPT_NOPROXY, "*");
    easy_.set(CURLOPT_FOLLOWLOCATION, 0L);
    easy_.set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(ms(kConnectTimeout)));
    easy_.set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxBody));
    easy_.set(CURLOPT_ERRORBUFFER, errbuf_);
    easy_.set(CURLOPT_WRITEFUNCTION, &DaemonClient::on_write);
    easy_.set(CURLOPT_WRITEDATA, static_cast<void*>(&body_));
    // libcurl labels POSTFIELDS as an HTML form by default, and the daemon answers a form
    // with a redirect to the status page instead of the JSON ticket.
    headers_.append("Content-Type:");
    headers_.append("Accept: application/json");
    easy_.set(CURLOPT_HTTPHEADER, headers_.get());
    if (!token.empty()) {
      easy_.set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
      easy_.set(CURLOPT_XOAUTH2_BEARER, token);
    }
  }

  const std::string& base() const { return base_; }

  // `timeout` bounds the whole request (capped at kRequestTimeout).
  Reply post(const std::string& target, std::chrono::milliseconds timeout) {
    easy_.set(CURLOPT_POSTFIELDS, "");
    easy_.set(CURLOPT_POSTFIELDSIZE, 0L);
    return perform(target, timeout);
  }

  Reply get(const std::string& target, std::chrono::milliseconds timeout) {
    easy_.set(CURLOPT_HTTPGET, 1L);
    return perform(target, timeout);
  }

  // Percent-encodes a query value.
  std::string escape(const std::string& value) const {
    const std::unique_ptr<char, decltype(&curl_free)> e(
        curl_easy_escape(easy_.get(), value.data(), static_cast<int>(value.size())), &curl_free);
    if (!e) throw std::bad_alloc();
    return e.get();
  }

 private:
  static long long ms(std::chrono::milliseconds d) { return d.count(); }

  static size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    const size_t len = size * count;
    if (len > kMaxBody - body->size()) return 0;  // aborts with CURLE_WRITE_ERROR
    body->append(data, len);
    return len;
  }

  Reply perform(const std::string& target, std::chrono::milliseconds timeout) {
    body_.clear();
    errbuf_[0] = '\0';
    easy_.set(CURLOPT_URL, base_ + target);
    const auto limit = std::clamp<std::chrono::milliseconds>(timeout, 1ms, kRequestTimeout);
    easy_.set(CURLOPT_TIMEOUT_MS, static_cast<long>(ms(limit)));
    const CURLcode code = curl_easy_perform(easy_.get());
    Reply r;
    r.status = easy_.info<long>(CURLINFO_RESPONSE_CODE);
    // A reused connection reports a connect time of 0, so look at pretransfer too.
    r.connected = r.status != 0 || easy_.info<curl_off_t>(CURLINFO_CONNECT_TIME_T) > 0 ||
                  easy_.info<curl_off_t>(CURLINFO_PRETRANSFER_TIME_T) > 0;
    if (code == CURLE_OK) {
      r.answered = true;
      r.body = std::move(body_);
    } else if (code == CURLE_WRITE_ERROR || code == CURLE_FILESIZE_EXCEEDED) {
      r.error = "answer larger than " + std::to_string(kMaxBody / 1024) + " KiB";
    } else {
      r.error = errbuf_[0] != '\0' ? errbuf_ : curl_easy_strerror(code);
    }
    return r;
  }

  std::string base_;
  lib::CurlEasy easy_;
  lib::CurlSlist headers_;  // must outlive every transfer: libcurl keeps the pointer
  std::string body_;
  char errbuf_[CURL_ERROR_SIZE] = {};
};

// The daemon's text as printable: control bytes (terminal escapes, line breaks) become '?',
// and it is cut, on a UTF-8 boundary, to a sane length.
std::string printable(std::string s) {
  if (s.size() > kMaxPrintedText) {
    s.resize(util::utf8_prefix(s, kMaxPrintedText).size());
    s += "…";
  }
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return s;
}

// nullopt when `body` is not a JSON object or could nest deep enough to exhaust the stack.
std::optional<pt::ptree> parse_json(const std::string& body) {
  const auto containers =
      std::count_if(body.begin(), body.end(), [](char c) { return c == '[' || c == '{'; });
  if (static_cast<std::size_t>(containers) > kMaxContainers) return std::nullopt;
  std::istringstream in(body);
  pt::ptree tree;
  try {
    pt::read_json(in, tree);
  } catch (const pt::json_parser_error&) {
    return std::nullopt;
  }
  return tree;
}

// The strings of array `key` in `tree` (an absent key is an empty array).
std::vector<std::string> string_array(const pt::ptree& tree, const std::string& key) {
  std::vector<std::string> values;
  if (const auto array = tree.get_child_optional(key)) {
    for (const auto& [name, item] : *array)
      values.push_back(item.data());
  }
  return values;
}

// One channel object of a progress reply, as the line `feedd refresh` prints.
std::string channel_line(const pt::ptree& ch) {
  std::string line = printable(ch.get<std::string>("channel", "?")) + ": ";
  if (!ch.get<bool>("done", false)) return line + "not finished";
  const auto outcome = ch.get<std::string>("outcome", "");
  const auto error = ch.get<std::string>("error", "");
  if (outcome == "ok" && error.empty()) {
    return line + std::to_string(ch.get_optional<long long>("new").value_or(0)) + " new";
  }
  if (outcome == "not_modified" && error.empty()) return line + "not modified";
  return line + "failed: " + printable(error.empty() ? outcome : error);
}

struct ChannelLine {
  bool done = false;
  std::string text;
};

struct Progress {
  bool done = false;
  std::vector<ChannelLine> channels;
};

std::optional<Progress> read_progress(const std::string& body) {
  const auto tree = parse_json(body);
  if (!tree) return std::nullopt;
  const auto done = tree->get_optional<bool>("done");
  const auto channels = tree->get_child_optional("channels");
  if (!done || !channels) return std::nullopt;
  Progress p;
  p.done = *done;
  for (const auto& [name, ch] : *channels)
    p.channels.push_back({ch.get<bool>("done", false), channel_line(ch)});
  return p;
}

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  // Rounded up, so "nothing left" means the deadline has really passed.
  return std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
}

int refresh(DaemonClient& client, const std::vector<std::string>& channels,
            const std::string& token, std::ostream& out, std::ostream& err,
            std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string& base = client.base();

  std::string target = "/refresh";
  for (std::size_t i = 0; i < channels.size(); ++i) {
    target += (i == 0 ? "?channel=" : "&channel=") + client.escape(channels[i]);
  }
  const Reply posted = client.post(target, remaining(deadline));
  if (!posted.answered) {
    if (!posted.connected) {
      err << "feedd refresh: no daemon answers at " << base << " (is \"feedd run\" running?)\n";
    } else {
      err << "feedd refresh: the daemon at " << base << " did not answer: " << posted.error << "\n";
    }
    return kExitFailed;
  }
  if (posted.status == 403) {
    err << "feedd refresh: the daemon at " << base << " refused the refresh (HTTP 403): "
        << (token.empty() ? "only loopback clients may refresh without a token; set "
                            "refresh_token in feeds.yaml to the daemon's token\n"
                          : "it did not accept the refresh_token from feeds.yaml\n");
    return kExitFailed;
  }
  const auto ticket = parse_json(posted.body);
  if (posted.status == 404 && ticket && ticket->get_child_optional("unknown")) {
    for (const auto& c : string_array(*ticket, "unknown"))
      err << "feedd refresh: unknown channel: " << printable(c) << "\n";
    err << "feedd refresh: `feedd check` lists the configured channels\n";
    return kExitUsage;
  }
  const auto id = ticket ? ticket->get_optional<std::uint64_t>("id") : boost::none;
  if (posted.status != 202 || !id) {
    err << "feedd refresh: unexpected answer from " << base << ": HTTP " << posted.status << "\n";
    return kExitFailed;
  }

  const std::string status_target = "/refresh/" + std::to_string(*id);
  std::optional<Progress> last;
  int failures = 0;
  while (remaining(deadline) > 0ms) {
    const Reply polled = client.get(status_target, remaining(deadline));
    if (!polled.answered) {
      if (++failures >= kMaxPollFailures) {
        err << "feedd refresh: the daemon at " << base << " stopped answering: " << polled.error
            << "\n";
        return kExitFailed;
      }
    } else if (polled.status == 404) {
      err << "feedd refresh: the daemon at " << base << " no longer knows refresh " << *id
          << " (was it restarted?)\n";
      return kExitFailed;
    } else {
      auto progress = polled.status == 200 ? read_progress(polled.body) : std::nullopt;
      if (!progress) {
        err << "feedd refresh: unexpected answer from " << base << status_target << ": HTTP "
            << polled.status << "\n";
        return kExitFailed;
      }
      failures = 0;
      if (progress->done) {
        for (const auto& ch : progress->channels)
          out << ch.text << "\n";
        return kExitOk;
      }
      last = std::move(progress);
    }
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        kPollInterval, std::max(remaining(deadline), std::chrono::milliseconds(0))));
  }

  // Whatever finished is still news; the daemon keeps going with the rest.
  std::size_t finished = 0, total = 0;
  if (last) {
    for (const auto& ch : last->channels) {
      if (!ch.done) continue;
      out << ch.text << "\n";
      ++finished;
    }
    total = last->channels.size();
  }
  err << "feedd refresh: refresh " << *id << " not finished after " << timeout.count() << " s ("
      << finished << " of " << total << " channels done); the daemon goes on: " << base
      << status_target << "\n";
  return kExitFailed;
}

}  // namespace

std::string daemon_url(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return "http://" + std::string(listen);
  std::string host(listen.substr(0, colon));
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return "http://" + host + std::string(listen.substr(colon));
}

std::vector<std::string> expand_channel_args(const config::Config& cfg,
                                             const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  const auto add = [&paths](const std::string& p) {
    if (std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(p);
  };
  const auto all = cfg.channels();
  for (std::string arg : args) {
    while (!arg.empty() && arg.back() == '/')
      arg.pop_back();
    const bool is_channel = std::any_of(all.begin(), all.end(),
                                        [&](const config::Channel* c) { return c->path() == arg; });
    bool expanded = false;
    if (!is_channel && !arg.empty()) {
      for (const auto* c : all) {
        const std::string path = c->path();
        if (path.starts_with(arg + "/")) {
          add(path);
          expanded = true;
        }
      }
    }
    if (!expanded) add(arg);
  }
  return paths;
}

int cmd_refresh(const config::Config& cfg, const std::vector<std::string>& channels,
                std::ostream& out, std::ostream& err, std::chrono::seconds timeout) {
  const auto& token = cfg.refresh_token;
  if (std::any_of(token.begin(), token.end(),
                  [](unsigned char c) { return c < 0x21 || c == 0x7f; })) {
    // It would be sent as a header line: refuse rather than let it split the request.
    err << "feedd refresh: refresh_token in " << cfg.file.string()
        << " contains spaces or control characters\n";
    return kExitUsage;
  }
  const auto paths = expand_channel_args(cfg, channels);
  if (std::find(paths.begin(), paths.end(), "") != paths.end()) {
    // The daemon skips empty values, which would turn this into a refresh of everything.
    err << "feedd refresh: empty channel name\n";
    return kExitUsage;
  }
  try {
    DaemonClient client(daemon_url(cfg.listen), token);
    return refresh(client, paths, token, out, err, timeout);
  } catch (const std::exception& e) {
    err << "feedd refresh: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace feedd::app
