#include "config/config.hpp"

#include <date/tz.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <span>
#include <system_error>
#include <utility>

#include "lib/curl/url.hpp"
#include "lib/iconv/iconv.hpp"
#include "util/ascii.hpp"
#include "util/atomic_file.hpp"

namespace feedd::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kMaxConfigBytes = 1 << 20;
constexpr int kMaxFeedEntries = 10000;
constexpr int kMaxKeepDays = 36500;
constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxSlugBytes = 64;
// Categories + sources + channels. YAML aliases can repeat a subtree many times over without
// the file growing, so the walk itself needs a bound, not just the file size.
constexpr int kMaxItems = 10000;
constexpr std::chrono::seconds kMaxDuration = 365 * 24h;

constexpr const char* kSlugRule = "use 1 to 64 of a-z, 0-9, '_' and '-'";
constexpr const char* kListenRule = "\"listen\" must be HOST:PORT with a port from 1 to 65535";
constexpr const char* kDurationRule = "use a positive whole number and s, m, h or d, e.g. 30m";
constexpr const char* kHostRule =
    "a host name such as player.bilibili.com, without scheme, port or path";
constexpr const char* kEncodingRule = "use a charset name iconv knows, such as gb18030 or big5";
constexpr const char* kLoopbackBaseWarning =
    "\"listen\" accepts other machines but \"base_url\" is a loopback address: the links in the "
    "feeds and the OPML file will not work for them (set base_url to the public URL)";
constexpr std::size_t kMaxIframeHosts = 1000;
constexpr std::size_t kMaxRefererRules = 1000;
constexpr std::size_t kMaxHostBytes = 253;
constexpr std::size_t kMaxRsshubInstances = 16;
constexpr std::size_t kMaxHookArgs = 64;
constexpr std::size_t kMaxHookArgBytes = 4096;

std::string dq(std::string_view s) {
  // Built by append: GCC 12 reports a false -Wrestrict for "\"" + std::string(...).
  std::string out;
  out.reserve(s.size() + 2);
  out.append(1, '"').append(s).append(1, '"');
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x80; });
}

bool valid_slug(std::string_view s) {
  return !s.empty() && s.size() <= kMaxSlugBytes && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// DNS labels of a-z, 0-9 and '-' joined by dots (lower-cased before the check).
bool valid_host(std::string_view s) {
  if (s.empty() || s.size() > kMaxHostBytes || s.front() == '.' || s.back() == '.' ||
      s.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

// Safe to echo in a diagnostic: one line of printable ASCII, not too long.
bool printable(std::string_view s) {
  return !s.empty() && s.size() <= kMaxNameBytes &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= ' ' && c < 0x7f; });
}

std::string derive_slug(std::string_view name) {
  std::string slug(name);
  for (char& c : slug) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == ' ') c = '-';
  }
  return slug;
}

bool is_web_url(std::string_view url) {
  if (!lib::is_fetchable_url(url)) return false;
  // is_fetchable_url also admits file://, which makes no sense for a public or RSSHub base.
  const std::string lower = ascii_lower(url.substr(0, 8));
  return lower.starts_with("http://") || lower.starts_with("https://");
}

template <typename Int>
std::optional<Int> parse_int(std::string_view s) {
  Int v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// HOST:PORT, HOST may be a bracketed IPv6 literal. Name resolution is the server's business.
bool valid_listen(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = s.substr(0, colon);
  const std::string_view port = s.substr(colon + 1);
  if (host.empty()) return false;
  if (std::any_of(host.begin(), host.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
    return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
  } else if (host.find(':') != std::string_view::npos) {
    return false;
  }
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const auto n = parse_int<int>(port);
  return n && *n >= 1 && *n <= 65535;
}

bool known_timezone(const std::string& name) {
  if (name.empty()) return false;
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

int line_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() || m.line < 0 ? 1 : m.line + 1;
}

struct Diag {
  int line;
  std::string text;
};

// Every problem found so far. Each check appends and carries on, so the caller sees all
// problems at once; messages are sorted into file order when rendered.
class Diagnostics {
 public:
  void error(const YAML::Node& at, std::string text) { error(line_of(at), std::move(text)); }
  void error(int line, std::string text) { errors_.push_back({line, std::move(text)}); }
  void warn(const YAML::Node& at, std::string text) { warn(line_of(at), std::move(text)); }
  void warn(int line, std::string text) { warnings_.push_back({line, std::move(text)}); }

  // The text of a scalar value; nullopt (after an error) for a list or mapping, and nullopt
  // without one for a null value, which counts as not given.
  std::optional<std::string> scalar(std::string_view key, const YAML::Node& v) {
    if (v.IsNull()) return std::nullopt;
    if (!v.IsScalar()) {
      error(v, dq(key) + " must be a single value, not a list or mapping");
      return std::nullopt;
    }
    return v.Scalar();
  }

  std::optional<std::chrono::seconds> check_duration(const YAML::Node& at, const std::string& s,
                                                     const std::string& label) {
    auto d = parse_duration(s);
    if (!d) error(at, label + "invalid interval " + dq(s) + " (" + kDurationRule + ")");
    return d;
  }

  bool check_timezone(const YAML::Node& at, const std::string& s, const std::string& label) {
    if (known_timezone(s)) return true;
    error(at, label + "unknown timezone " + dq(s) + " (use an IANA name such as Asia/Shanghai)");
    return false;
  }

  bool check_encoding(const YAML::Node& at, const std::string& s, const std::string& label) {
    if (lib::known_charset(s)) return true;
    // Echoed only when printable, so that a value cannot forge a diagnostic line.
    error(at, label + "unknown encoding" + (printable(s) ? " " + dq(s) : "") + " (" +
                  kEncodingRule + ")");
    return false;
  }

  // "PATH:LINE", naming a place in the file for what outlives loading (rules).
  void set_path(std::string path) { path_ = std::move(path); }
  std::string where(const YAML::Node& at) const {
    return path_ + ":" + std::to_string(line_of(at));
  }

  // "PATH:LINE: message" lines in file order (messages of one line in the order found).
  std::vector<std::string> errors(const std::string& path) { return render(errors_, path); }
  std::vector<std::string> warnings(const std::string& path) { return render(warnings_, path); }

 private:
  static std::vector<std::string> render(std::vector<Diag>& diags, const std::string& path) {
    std::stable_sort(diags.begin(), diags.end(),
                     [](const Diag& a, const Diag& b) { return a.line < b.line; });
    std::vector<std::string> out;
    out.reserve(diags.size());
    for (auto& d : diags)
      out.push_back(path + ":" + std::to_string(d.line) + ": " + d.text);
    return out;
  }

  std::vector<Diag> errors_, warnings_;
  std::string path_;
};

// ---- The key tables ------------------------------------------------------------------------
// Each mapping of feeds.yaml is read into a draft of its level through that level's table of
// {key, reader}. The table is both the allow-list and the dispatch: a key is accepted iff it
// has a reader, and a key without one is warned about as unknown.

// One key: value pair of a mapping.
struct Entry {
  std::string_view key;
  const YAML::Node& key_node;
  const YAML::Node& value;
};

template <typename Draft>
struct Key {
  std::string_view name;
  void (*read)(Diagnostics&, Draft&, const Entry&);
};

// A reader of a key whose value is one scalar: `Set` gets its text; a null value counts as not
// given, and a list or mapping is an error.
template <typename Draft,
          void (*Set)(Diagnostics&, Draft&, const std::string& text, const YAML::Node& at)>
void text(Diagnostics& diags, Draft& d, const Entry& e) {
  if (auto s = diags.scalar(e.key, e.value)) Set(diags, d, *s, e.value);
}

// Visits the keys of `map` in file order, warning about unknown ones and rejecting repeats
// (yaml-cpp keeps both, and silently taking either would hide a mistake).
template <typename Draft>
void read_keys(Diagnostics& diags, const YAML::Node& map, std::span<const Key<Draft>> keys,
               Draft& d) {
  if (!map.IsMap()) return;
  std::map<std::string, int> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      diags.error(kv.first, "expected a key name");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    const auto k = std::find_if(keys.begin(), keys.end(),
                                [&](const Key<Draft>& candidate) { return candidate.name == key; });
    if (k == keys.end()) {
      diags.warn(kv.first, "unknown key " + dq(key) + " (ignored)");
      continue;
    }
    const auto [it, fresh] = seen.emplace(key, line_of(kv.first));
    if (!fresh) {
      diags.error(kv.first, "duplicate key " + dq(key) + " (first on line " +
                                std::to_string(it->second) + ")");
      continue;
    }
    k->read(diags, d, Entry{key, kv.first, kv.second});
  }
}

// The top level: the global settings go straight into `cfg`; paths and the tree wait for the
// end of the mapping (paths are resolved against the file's folder, and channels inherit the
// globals wherever `categories:` sits in the file).
struct TopDraft {
  Config cfg;
  std::optional<std::string> output, state, inbox, image_base;
  YAML::Node categories, categories_key;
  bool have_categories = false;
  bool rsshub_ok = true;  // a bad rsshub is reported once, not again for every route
  int listen_line = 1;
};

void set_path(Diagnostics& diags, std::optional<std::string>& field, std::string_view key,
              const std::string& s, const YAML::Node& at) {
  if (s.empty()) return diags.error(at, dq(key) + " must not be empty");
  field = s;
}

void set_output(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  set_path(diags, d.output, "output", s, at);
}

void set_state(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  set_path(diags, d.state, "state", s, at);
}

void set_inbox(Diagnostics&, TopDraft& d, const std::string& s, const YAML::Node&) {
  d.inbox = s;
}

void set_listen(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  if (!valid_listen(s)) return diags.error(at, std::string(kListenRule) + ", not " + dq(s));
  d.cfg.listen = s;
  d.listen_line = line_of(at);
}

bool check_web_url(Diagnostics& diags, std::string_view key, const std::string& s,
                   const YAML::Node& at) {
  if (is_web_url(s)) return true;
  diags.error(at,
              dq(key) + " must be an absolute http or https URL, not " + dq(lib::redact_url(s)));
  return false;
}

void set_base_url(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  if (!check_web_url(diags, "base_url", s, at)) return;
  d.cfg.base_url = s;
  if (!d.cfg.base_url.ends_with('/')) d.cfg.base_url += '/';
}

// One URL or a list of them (failover in order); trailing '/' dropped, duplicates too.
void read_rsshub(Diagnostics& diags, TopDraft& d, const Entry& e) {
  const YAML::Node& v = e.value;
  if (v.IsNull()) return;
  if (v.IsMap()) {
    d.rsshub_ok = false;
    return diags.error(v, "\"rsshub\" must be a URL or a list of URLs");
  }
  std::vector<YAML::Node> items;
  if (v.IsScalar()) {
    items.push_back(v);
  } else {
    for (const auto& item : v)
      items.push_back(item);
  }
  if (items.empty()) {
    d.rsshub_ok = false;
    return diags.error(v, "\"rsshub\" must list at least one instance");
  }
  if (items.size() > kMaxRsshubInstances) {
    d.rsshub_ok = false;
    return diags.error(v, "more than " + std::to_string(kMaxRsshubInstances) + " rsshub instances");
  }
  std::vector<std::string> instances;
  for (const auto& item : items) {
    std::string s = item.IsScalar() ? item.Scalar() : std::string();
    if (!check_web_url(diags, "rsshub", s, item)) {
      d.rsshub_ok = false;
      continue;
    }
    while (s.ends_with('/'))
      s.pop_back();
    if (std::find(instances.begin(), instances.end(), s) == instances.end())
      instances.push_back(std::move(s));
  }
  if (d.rsshub_ok) d.cfg.rsshub = std::move(instances);
}

void set_rsshub_key(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  // A secret: never echoed. It travels in a query string, so it must be one line.
  const bool one_line =
      std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= ' ' && c != 0x7f; });
  if (!one_line || s.size() > kMaxNameBytes)
    return diags.error(at, "\"rsshub_key\" must be one line of at most " +
                               std::to_string(kMaxNameBytes) + " bytes");
  d.cfg.rsshub_key = s;
}

// argv of the program run after a cycle that wrote posts: [hexo, generate].
void read_on_new_posts(Diagnostics& diags, TopDraft& d, const Entry& e) {
  const YAML::Node& v = e.value;
  if (v.IsNull()) return;
  if (!v.IsSequence())
    return diags.error(v,
                       "\"on_new_posts\" must be a list: the program and its arguments, e.g. "
                       "[hexo, generate]");
  if (v.size() > kMaxHookArgs)
    return diags.error(
        v, "\"on_new_posts\" has more than " + std::to_string(kMaxHookArgs) + " arguments");
  std::vector<std::string> argv;
  for (const auto& item : v) {
    if (!item.IsScalar())
      return diags.error(item, "\"on_new_posts\" arguments must be single values");
    const std::string& arg = item.Scalar();
    if (arg.find('\0') != std::string::npos || arg.size() > kMaxHookArgBytes)
      return diags.error(item, "\"on_new_posts\" arguments must have no NUL and at most " +
                                   std::to_string(kMaxHookArgBytes) + " bytes");
    argv.push_back(arg);
  }
  if (!argv.empty() && argv.front().empty())
    return diags.error(v, "\"on_new_posts\" must start with a program name");
  d.cfg.on_new_posts = std::move(argv);
}

void set_webhook(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  if (!s.empty() && !is_web_url(s))
    return diags.error(at, "\"webhook\" must be \"\" or an absolute http or https URL, not " +
                               dq(lib::redact_url(s)));
  d.cfg.webhook = s;
}

void set_image_proxy(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  if (!s.empty() && !is_web_url(s))
    return diags.error(at,
                       "\"image_proxy\" must be \"\" or an absolute http or https "
                       "URL prefix, not " +
                           dq(lib::redact_url(s)));
  d.cfg.image_proxy = s;
}

void set_interval(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  if (auto i = diags.check_duration(at, s, "")) d.cfg.interval = *i;
}

void set_timezone(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  if (diags.check_timezone(at, s, "")) d.cfg.timezone = s;
}

void set_feed_entries(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  const auto n = parse_int<int>(s);
  if (!n || *n < 1 || *n > kMaxFeedEntries)
    return diags.error(at, "\"feed_entries\" must be a whole number from 1 to " +
                               std::to_string(kMaxFeedEntries) + ", not " + dq(s));
  d.cfg.feed_entries = *n;
}

void set_keep_days(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  const auto n = parse_int<int>(s);
  if (!n || *n < 0 || *n > kMaxKeepDays)
    return diags.error(at, "\"keep_days\" must be a whole number of days from 0 to " +
                               std::to_string(kMaxKeepDays) + ", not " + dq(s));
  d.cfg.keep_days = *n;
}

void set_refresh_token(Diagnostics&, TopDraft& d, const std::string& s, const YAML::Node&) {
  d.cfg.refresh_token = s;  // a secret: never echoed
}

// A list of host names whose iframes articles may keep; lower-cased, duplicates dropped.
void read_iframe_hosts(Diagnostics& diags, TopDraft& d, const Entry& e) {
  const YAML::Node& v = e.value;
  auto& hosts = d.cfg.iframe_hosts;
  if (v.IsNull()) return;
  if (!v.IsSequence()) return diags.error(v, "\"iframe_hosts\" must be a list of host names");
  hosts.clear();  // a list given replaces the default one
  for (const auto& item : v) {
    if (hosts.size() >= kMaxIframeHosts) {
      return diags.error(item, "more than " + std::to_string(kMaxIframeHosts) + " iframe_hosts");
    }
    std::string host = item.IsScalar() ? item.Scalar() : std::string();
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) {
      return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    if (!valid_host(host)) {
      // Echoed only when printable, so that a value cannot forge a diagnostic line.
      diags.error(item, std::string("invalid iframe host") +
                            (printable(host) ? " " + dq(host) : "") + " (" + kHostRule + ")");
      continue;
    }
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end())
      hosts.push_back(std::move(host));
  }
}

void set_images(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  for (const ImageMode m : {ImageMode::hotlink, ImageMode::download, ImageMode::proxy}) {
    if (s == image_mode_name(m)) {
      d.cfg.images = m;
      return;
    }
  }
  diags.error(at, "\"images\" must be download, proxy or hotlink, not " +
                      (printable(s) ? dq(s) : std::string("that")));
}

void set_image_base(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  // A site path ("/images/") serves a Hexo site that copies the folder; "//host" is none.
  if (!lib::is_site_path(s) && !is_web_url(s)) {
    return diags.error(at,
                       "\"image_base\" must be an absolute http or https URL or a path "
                       "starting with '/', not " +
                           dq(lib::redact_url(s)));
  }
  d.image_base = s.ends_with('/') ? s : s + "/";
}

// A whole number from `min` to `max` into `field`, or the error naming `key` and `unit`.
void set_bounded(Diagnostics& diags, int& field, std::string_view key, std::string_view unit,
                 int min, int max, const std::string& s, const YAML::Node& at) {
  const auto n = parse_int<int>(s);
  if (!n || *n < min || *n > max) {
    return diags.error(at, dq(key) + " must be a whole number" + std::string(unit) + " from " +
                               std::to_string(min) + " to " + std::to_string(max) + ", not " +
                               (printable(s) ? dq(s) : std::string("that")));
  }
  field = *n;
}

void set_image_cache_mb(Diagnostics& diags, TopDraft& d, const std::string& s,
                        const YAML::Node& at) {
  set_bounded(diags, d.cfg.image_cache_mb, "image_cache_mb", " of MiB", 1, 1 << 20, s, at);
}
void set_image_max_per_article(Diagnostics& diags, TopDraft& d, const std::string& s,
                               const YAML::Node& at) {
  set_bounded(diags, d.cfg.image_max_per_article, "image_max_per_article", "", 0, 1000, s, at);
}
void set_image_max_mb(Diagnostics& diags, TopDraft& d, const std::string& s, const YAML::Node& at) {
  set_bounded(diags, d.cfg.image_max_mb, "image_max_mb", " of MiB", 1, 1024, s, at);
}
void set_image_article_mb(Diagnostics& diags, TopDraft& d, const std::string& s,
                          const YAML::Node& at) {
  set_bounded(diags, d.cfg.image_article_mb, "image_article_mb", " of MiB", 1, 1 << 14, s, at);
}
void set_image_cycle_mb(Diagnostics& diags, TopDraft& d, const std::string& s,
                        const YAML::Node& at) {
  set_bounded(diags, d.cfg.image_cycle_mb, "image_cycle_mb", " of MiB", 1, 1 << 20, s, at);
}

void set_image_private_hosts(Diagnostics& diags, TopDraft& d, const std::string& s,
                             const YAML::Node& at) {
  if (s == "true" || s == "false") {
    d.cfg.image_private_hosts = s == "true";
    return;
  }
  diags.error(at, "\"image_private_hosts\" must be true or false, not " +
                      (printable(s) ? dq(s) : std::string("that")));
}

// `referer:` a mapping of host suffix → Referer URL; suffixes lower-cased, a repeated one is an
// error (which of the two was meant?).
void read_referer(Diagnostics& diags, TopDraft& d, const Entry& e) {
  const YAML::Node& v = e.value;
  auto& rules = d.cfg.referer;
  if (v.IsNull()) return;
  if (!v.IsMap()) {
    return diags.error(v, "\"referer\" must be a mapping of image host to Referer URL");
  }
  for (const auto& kv : v) {
    if (rules.size() >= kMaxRefererRules) {
      return diags.error(kv.first,
                         "more than " + std::to_string(kMaxRefererRules) + " referer rules");
    }
    std::string host = kv.first.IsScalar() ? ascii_lower(kv.first.Scalar()) : std::string();
    if (!valid_host(host)) {
      diags.error(kv.first, std::string("invalid referer host") +
                                (printable(host) ? " " + dq(host) : "") + " (" + kHostRule + ")");
      continue;
    }
    const std::string url = kv.second.IsScalar() ? kv.second.Scalar() : std::string();
    if (!is_web_url(url)) {
      diags.error(kv.second, "the referer for " + dq(host) +
                                 " must be an absolute http or https URL, not " +
                                 (printable(url) ? dq(lib::redact_url(url)) : std::string("that")));
      continue;
    }
    const auto same = std::find_if(rules.begin(), rules.end(),
                                   [&](const auto& rule) { return rule.first == host; });
    if (same != rules.end()) {
      diags.error(kv.first, "referer host " + dq(host) + " is listed twice");
      continue;
    }
    rules.emplace_back(std::move(host), url);
  }
}

void read_categories(Diagnostics&, TopDraft& d, const Entry& e) {
  d.categories = e.value;
  d.categories_key = e.key_node;
  d.have_categories = true;
}

constexpr Key<TopDraft> kTopKeys[] = {
    {"output", text<TopDraft, set_output>},
    {"state", text<TopDraft, set_state>},
    {"listen", text<TopDraft, set_listen>},
    {"base_url", text<TopDraft, set_base_url>},
    {"interval", text<TopDraft, set_interval>},
    {"feed_entries", text<TopDraft, set_feed_entries>},
    {"image_proxy", text<TopDraft, set_image_proxy>},
    {"rsshub", read_rsshub},
    {"rsshub_key", text<TopDraft, set_rsshub_key>},
    {"on_new_posts", read_on_new_posts},
    {"webhook", text<TopDraft, set_webhook>},
    {"timezone", text<TopDraft, set_timezone>},
    {"inbox", text<TopDraft, set_inbox>},
    {"keep_days", text<TopDraft, set_keep_days>},
    {"refresh_token", text<TopDraft, set_refresh_token>},
    {"iframe_hosts", read_iframe_hosts},
    {"images", text<TopDraft, set_images>},
    {"image_base", text<TopDraft, set_image_base>},
    {"referer", read_referer},
    {"image_cache_mb", text<TopDraft, set_image_cache_mb>},
    {"image_private_hosts", text<TopDraft, set_image_private_hosts>},
    {"image_max_per_article", text<TopDraft, set_image_max_per_article>},
    {"image_max_mb", text<TopDraft, set_image_max_mb>},
    {"image_article_mb", text<TopDraft, set_image_article_mb>},
    {"image_cycle_mb", text<TopDraft, set_image_cycle_mb>},
    {"categories", read_categories},
};

// What every item of the tree has: a name, a slug, and its own drop/keep rules.
struct NamedDraft {
  std::string name, slug;
  int slug_line = 0;
  std::optional<std::string> explicit_slug;
  rules::RuleSet rules;
  std::optional<bool> updates;
};

template <typename Draft>
void set_updates(Diagnostics& diags, Draft& d, const std::string& s, const YAML::Node& at) {
  if (s == "true") {
    d.updates = true;
  } else if (s == "false") {
    d.updates = false;
  } else {
    diags.error(at, "\"updates\" must be true or false" +
                        (printable(s) ? std::string(", not ") + dq(s) : std::string()));
  }
}

constexpr const char* kRuleFields = "title, author, category, link or content";

// `drop:` or `keep:`: a list of one-key mappings, field → RE2 pattern, e.g.
// `- title: '广告|推广'`. Each pattern is compiled here, so a bad one is a located error.
template <typename Draft, rules::Kind K>
void read_rules(Diagnostics& diags, Draft& d, const Entry& e) {
  const YAML::Node& v = e.value;
  const std::string key(rules::kind_name(K));
  if (v.IsNull()) return;
  if (!v.IsSequence()) {
    return diags.error(v, dq(key) + " must be a list of rules such as \"- title: PATTERN\"");
  }
  if (v.size() > rules::kMaxRulesPerList) {
    return diags.error(
        v, "more than " + std::to_string(rules::kMaxRulesPerList) + " rules in " + dq(key));
  }
  for (const auto& item : v) {
    if (!item.IsMap() || item.size() != 1) {
      diags.error(item,
                  "a rule must map one field (" + std::string(kRuleFields) + ") to a pattern");
      continue;
    }
    const auto kv = *item.begin();
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const auto field = rules::field_from_name(name);
    if (!field) {
      // Echoed only when printable, so that a value cannot forge a diagnostic line.
      diags.error(kv.first, std::string("unknown rule field") +
                                (printable(name) ? " " + dq(name) : "") + " (use " + kRuleFields +
                                ")");
      continue;
    }
    if (!kv.second.IsScalar()) {
      diags.error(kv.second, "the pattern of a " + dq(name) + " rule must be a string");
      continue;
    }
    rules::Compiled c = rules::compile(K, *field, kv.second.Scalar(), diags.where(kv.second));
    if (!c.rule) {
      std::string message = key;
      message.append(" ").append(name).append(": ").append(c.error);
      diags.error(kv.second, message);
      continue;
    }
    d.rules.add(std::move(*c.rule));
  }
}

template <typename Draft>
void set_name(Diagnostics&, Draft& d, const std::string& s, const YAML::Node&) {
  d.name = s;
}

template <typename Draft>
void set_slug(Diagnostics&, Draft& d, const std::string& s, const YAML::Node& at) {
  d.explicit_slug = s;
  d.slug_line = line_of(at);
}

// A category or a source: a name, a slug, and the list of its children.
struct BranchDraft : NamedDraft {
  YAML::Node children;
  bool given = false;  // the children's key is present (even if its value is null)
};

void read_children(Diagnostics&, BranchDraft& d, const Entry& e) {
  d.children = e.value;
  d.given = true;
}

constexpr Key<BranchDraft> kCategoryKeys[] = {
    {"name", text<BranchDraft, set_name<BranchDraft>>},
    {"slug", text<BranchDraft, set_slug<BranchDraft>>},
    {"sources", read_children},
    {"drop", read_rules<BranchDraft, rules::Kind::kDrop>},
    {"keep", read_rules<BranchDraft, rules::Kind::kKeep>},
    {"updates", text<BranchDraft, set_updates<BranchDraft>>},
};

constexpr Key<BranchDraft> kSourceKeys[] = {
    {"name", text<BranchDraft, set_name<BranchDraft>>},
    {"slug", text<BranchDraft, set_slug<BranchDraft>>},
    {"channels", read_children},
    {"drop", read_rules<BranchDraft, rules::Kind::kDrop>},
    {"keep", read_rules<BranchDraft, rules::Kind::kKeep>},
    {"updates", text<BranchDraft, set_updates<BranchDraft>>},
};

// A channel's own keys, as written; checked once the whole mapping is read (`url` and
// `route` exclude each other).
struct ChannelDraft : NamedDraft {
  struct Given {
    std::string text;
    YAML::Node at;
  };
  std::optional<Given> url, route, interval, timezone, encoding;
};

template <std::optional<ChannelDraft::Given> ChannelDraft::*Field>
void keep(Diagnostics&, ChannelDraft& d, const std::string& s, const YAML::Node& at) {
  d.*Field = ChannelDraft::Given{s, at};
}

constexpr Key<ChannelDraft> kChannelKeys[] = {
    {"name", text<ChannelDraft, set_name<ChannelDraft>>},
    {"slug", text<ChannelDraft, set_slug<ChannelDraft>>},
    {"url", text<ChannelDraft, keep<&ChannelDraft::url>>},
    {"route", text<ChannelDraft, keep<&ChannelDraft::route>>},
    {"interval", text<ChannelDraft, keep<&ChannelDraft::interval>>},
    {"timezone", text<ChannelDraft, keep<&ChannelDraft::timezone>>},
    {"encoding", text<ChannelDraft, keep<&ChannelDraft::encoding>>},
    {"drop", read_rules<ChannelDraft, rules::Kind::kDrop>},
    {"keep", read_rules<ChannelDraft, rules::Kind::kKeep>},
    {"updates", text<ChannelDraft, set_updates<ChannelDraft>>},
};

template <typename Draft, std::size_t N>
std::vector<std::string_view> names_of(const Key<Draft> (&keys)[N]) {
  std::vector<std::string_view> out;
  for (const auto& k : keys)
    out.push_back(k.name);
  return out;
}

// ---- The walk ------------------------------------------------------------------------------

// One pass over the parsed document: the top-level keys, then the tree of categories, sources
// and channels.
class Loader {
 public:
  explicit Loader(const fs::path& file) : dir_(file.parent_path()) {
    if (dir_.empty()) dir_ = ".";
    top_.cfg.file = file;
    diags_.set_path(file.string());
  }

  void run(const YAML::Node& root) {
    if (!root.IsMap() && !root.IsNull()) {
      diags_.error(root, "expected a mapping of settings and \"categories\"");
      return;
    }
    read_keys<TopDraft>(diags_, root, kTopKeys, top_);
    Config& cfg = top_.cfg;
    if (public_listen_with_loopback_base(cfg)) diags_.warn(top_.listen_line, kLoopbackBaseWarning);
    cfg.output = resolve(top_.output.value_or("output"));
    cfg.state = top_.state ? resolve(*top_.state) : (cfg.output / "feedd.db").lexically_normal();
    if (top_.inbox && !top_.inbox->empty()) cfg.inbox = resolve(*top_.inbox);
    cfg.image_base = top_.image_base.value_or(cfg.base_url + "images/");

    const YAML::Node& categories = top_.categories;
    if (!top_.have_categories || categories.IsNull() ||
        (categories.IsSequence() && categories.size() == 0)) {
      diags_.error(top_.have_categories ? top_.categories_key : root,
                   "\"categories\" must list at least one category");
    } else if (!categories.IsSequence()) {
      diags_.error(categories, "\"categories\" must be a list");
    } else {
      walk_tree(categories);
    }
  }

  LoadResult finish(const std::string& path) && {
    LoadResult r;
    r.errors = diags_.errors(path);
    r.warnings = diags_.warnings(path);
    if (r.errors.empty()) r.config = std::move(top_.cfg);
    return r;
  }

 private:
  void walk_tree(const YAML::Node& categories) {
    walk<BranchDraft>(categories, "category", kCategoryKeys,
                      [&](const YAML::Node& item, const BranchDraft& d) {
                        top_.cfg.categories.push_back(make_category(item, d));
                      });
  }

  Category make_category(const YAML::Node& item, const BranchDraft& d) {
    Category cat{d.name, d.slug, {}, line_of(item), d.rules, d.updates};
    if (child_list(item, "sources", d, label("category", d.name))) {
      walk<BranchDraft>(d.children, "source", kSourceKeys,
                        [&](const YAML::Node& src_item, const BranchDraft& src_draft) {
                          cat.sources.push_back(make_source(src_item, src_draft, cat));
                        });
    }
    return cat;
  }

  Source make_source(const YAML::Node& item, const BranchDraft& d, const Category& cat) {
    Source src{d.name, d.slug, {}, line_of(item), d.rules, d.updates};
    if (child_list(item, "channels", d, label("source", d.name))) {
      walk<ChannelDraft>(d.children, "channel", kChannelKeys,
                         [&](const YAML::Node& ch_item, const ChannelDraft& ch_draft) {
                           src.channels.push_back(make_channel(ch_item, ch_draft, cat, src));
                         });
    }
    return src;
  }

  // The skeleton shared by the three levels: each item of `list` must be a mapping; its keys
  // are read through the level's table, its name and slug checked (the slug among its
  // siblings), and then `make` builds it.
  template <typename Draft, typename Make>
  void walk(const YAML::Node& list, std::string_view kind, std::span<const Key<Draft>> keys,
            Make&& make) {
    std::map<std::string, int> slugs;
    for (const auto& item : list) {
      if (!budget(item)) return;
      if (!item.IsMap()) {
        diags_.error(item, "a " + std::string(kind) + " must be a mapping with a \"name\"");
        continue;
      }
      Draft d;
      read_keys(diags_, item, keys, d);
      check_name(kind, item, d);
      check_slug(kind, item, d, slugs);
      make(item, d);
    }
  }

  Channel make_channel(const YAML::Node& item, const ChannelDraft& d, const Category& cat,
                       const Source& src) {
    Channel ch;
    ch.name = d.name;
    ch.slug = d.slug;
    ch.line = line_of(item);
    ch.interval = top_.cfg.interval;
    ch.timezone = top_.cfg.timezone;
    const std::string who = label("channel", d.name);
    read_url_or_route(item, d, who, ch);
    if (d.interval) {
      if (auto i = diags_.check_duration(d.interval->at, d.interval->text, who + ": "))
        ch.interval = *i;
    }
    if (d.timezone && diags_.check_timezone(d.timezone->at, d.timezone->text, who + ": "))
      ch.timezone = d.timezone->text;
    if (d.encoding && diags_.check_encoding(d.encoding->at, d.encoding->text, who + ": "))
      ch.encoding = d.encoding->text;
    // Inherited down the tree: the category's rules, the source's, then the channel's own.
    for (const rules::RuleSet* set : {&cat.rules, &src.rules, &d.rules}) {
      for (const rules::Rule& r : set->rules())
        ch.rules.add(r);
    }
    ch.updates = d.updates.value_or(src.updates.value_or(cat.updates.value_or(false)));
    ch.top_name = cat.name;
    ch.top_slug = cat.slug;
    ch.source_name = src.name;
    ch.source_slug = src.slug;
    return ch;
  }

  void read_url_or_route(const YAML::Node& item, const ChannelDraft& d, const std::string& who,
                         Channel& ch) {
    if (d.url && d.route) {
      diags_.error(item, who + " has both \"url\" and \"route\": keep one");
    } else if (!d.url && !d.route) {
      diags_.error(item, who + " needs a \"url\" or a \"route\"");
    } else if (d.url) {
      if (lib::is_fetchable_url(d.url->text)) {
        ch.url = d.url->text;
      } else {
        diags_.error(d.url->at, who +
                                    ": \"url\" must be an absolute http, https or file URL, not " +
                                    dq(lib::redact_url(d.url->text)));
      }
    } else if (!d.route->text.starts_with('/')) {
      diags_.error(d.route->at, who + ": route " + dq(d.route->text) + " must start with '/'");
    } else {
      ch.route = d.route->text;
      if (!top_.rsshub_ok) return;  // reported once, at the rsshub key
      for (const auto& instance : top_.cfg.rsshub) {
        std::optional<std::string> url = instance + d.route->text;
        if (lib::is_fetchable_url(*url) && !top_.cfg.rsshub_key.empty())
          url = lib::with_query_parameter(*url, "key", top_.cfg.rsshub_key);
        if (!url || !lib::is_fetchable_url(*url)) {
          diags_.error(d.route->at,
                       who + ": route " + dq(d.route->text) + " does not make a valid URL");
          return;
        }
        ch.urls.push_back(std::move(*url));
      }
      ch.url = ch.urls.front();
      return;
    }
    if (!ch.url.empty()) ch.urls = {ch.url};
  }

  fs::path resolve(const std::string& value) const {
    fs::path p = (dir_ / value).lexically_normal();
    // "output/" and "output" are the same folder; keep one spelling so paths compare equal.
    if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
    return p;
  }

  bool budget(const YAML::Node& at) {
    if (++items_ <= kMaxItems) return true;
    if (items_ == kMaxItems + 1)
      diags_.error(at,
                   "more than " + std::to_string(kMaxItems) + " categories, sources and channels");
    return false;
  }

  static std::string label(std::string_view kind, const std::string& name) {
    return name.empty() ? std::string(kind) : std::string(kind) + " " + dq(name);
  }

  void check_name(std::string_view kind, const YAML::Node& item, const NamedDraft& n) {
    if (n.name.empty()) {
      diags_.error(item, std::string(kind) + " has no \"name\"");
      return;
    }
    const bool control = std::any_of(n.name.begin(), n.name.end(),
                                     [](unsigned char c) { return c < ' ' || c == 0x7f; });
    if (control || n.name.size() > kMaxNameBytes) {
      // Not echoed: a name with a line break would forge a second diagnostic line.
      diags_.error(item, std::string(kind) + " name must be one line of at most " +
                             std::to_string(kMaxNameBytes) + " bytes");
    }
  }

  void check_slug(std::string_view kind, const YAML::Node& item, NamedDraft& n,
                  std::map<std::string, int>& siblings) {
    if (n.explicit_slug) {
      if (!valid_slug(*n.explicit_slug)) {
        diags_.error(n.slug_line, label(kind, n.name) + ": invalid slug " + dq(*n.explicit_slug) +
                                      " (" + kSlugRule + ")");
        return;
      }
      n.slug = *n.explicit_slug;
    } else {
      n.slug_line = line_of(item);
      if (n.name.empty()) return;
      if (!is_ascii(n.name)) {
        diags_.error(item, label(kind, n.name) + " needs a slug: its name is not ASCII");
        return;
      }
      const std::string derived = derive_slug(n.name);
      if (!valid_slug(derived)) {
        diags_.error(item, label(kind, n.name) + " needs a slug: " + dq(derived) +
                               ", made from its name, is not valid (" + kSlugRule + ")");
        return;
      }
      n.slug = derived;
    }
    if (kind == "category" && n.slug == "all") {
      diags_.error(n.slug_line,
                   label(kind, n.name) + ": slug \"all\" is reserved for feeds/all.xml");
      return;
    }
    const auto [it, fresh] = siblings.emplace(n.slug, n.slug_line);
    if (!fresh) {
      diags_.error(n.slug_line, "duplicate " + std::string(kind) + " slug " + dq(n.slug) +
                                    " (first used on line " + std::to_string(it->second) + ")");
    }
  }

  // The children of a category or source; false (after an error) when missing, empty or not
  // a list.
  bool child_list(const YAML::Node& item, const std::string& what, const BranchDraft& d,
                  const std::string& owner) {
    const YAML::Node& list = d.children;
    if (!d.given || list.IsNull() || (list.IsSequence() && list.size() == 0)) {
      diags_.error(item, owner + " has no " + what);
      return false;
    }
    if (!list.IsSequence()) {
      diags_.error(list, dq(what) + " must be a list");
      return false;
    }
    return true;
  }

  fs::path dir_;
  TopDraft top_;
  Diagnostics diags_;
  int items_ = 0;
};

}  // namespace

const char* image_mode_name(ImageMode mode) {
  switch (mode) {
    case ImageMode::hotlink:
      return "hotlink";
    case ImageMode::download:
      return "download";
    case ImageMode::proxy:
      return "proxy";
  }
  return "hotlink";
}

std::vector<std::string_view> known_keys(KeyLevel level) {
  switch (level) {
    case KeyLevel::top:
      return names_of(kTopKeys);
    case KeyLevel::category:
      return names_of(kCategoryKeys);
    case KeyLevel::source:
      return names_of(kSourceKeys);
    case KeyLevel::channel:
      return names_of(kChannelKeys);
  }
  return {};
}

bool public_listen_with_loopback_base(const Config& config) {
  const auto colon = config.listen.rfind(':');
  const std::string listen_host = ascii_lower(
      std::string_view(config.listen).substr(0, colon == std::string::npos ? 0 : colon));
  auto loopback = [](std::string_view host) {
    return host == "localhost" || host.starts_with("127.") || host == "[::1]" ||
           host.ends_with(".localhost");
  };
  return !loopback(listen_host) && loopback(lib::url_host(config.base_url));
}

std::vector<const Channel*> Config::channels() const {
  std::vector<const Channel*> out;
  for (const auto& cat : categories)
    for (const auto& src : cat.sources)
      for (const auto& ch : src.channels)
        out.push_back(&ch);
  return out;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  const std::string_view digits = text.substr(0, text.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  const auto n = parse_int<std::int64_t>(digits);
  if (!n || *n <= 0 || *n > kMaxDuration.count() / unit) return std::nullopt;
  return std::chrono::seconds(*n * unit);
}

LoadResult parse_config(std::string_view text, const std::filesystem::path& file) {
  const std::string path = file.string();
  LoadResult r;
  if (text.size() > kMaxConfigBytes) {
    r.errors.push_back(path + ":1: file is larger than " + std::to_string(kMaxConfigBytes) +
                       " bytes");
    return r;
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // e.msg is yaml-cpp's fixed wording; what() would add its own "line N, column M" prefix.
    const int line = e.mark.is_null() || e.mark.line < 0 ? 1 : e.mark.line + 1;
    r.errors.push_back(path + ":" + std::to_string(line) + ": invalid YAML: " + e.msg);
    return r;
  } catch (const std::exception& e) {
    r.errors.push_back(path + ":1: invalid YAML: " + e.what());
    return r;
  }
  try {
    Loader loader(file);
    loader.run(root);
    return std::move(loader).finish(path);
  } catch (const std::exception& e) {
    // yaml-cpp node access can throw on documents we did not foresee; the contract is no throw.
    r.errors.push_back(path + ":1: cannot read configuration: " + e.what());
    return r;
  }
}

LoadResult load_config(const std::filesystem::path& file) {
  const std::string path = file.string();
  LoadResult r;
  // file_size() also refuses what is not a regular file (a folder, or a FIFO, whose read
  // could block), with the system's reason.
  std::error_code ec;
  static_cast<void>(std::filesystem::file_size(file, ec));
  std::string text, why;
  if (ec) {
    why = ec.message();
  } else if (read_file(file, text, kMaxConfigBytes, &why)) {
    return parse_config(text, file);
  }
  r.errors.push_back(path + ": cannot read: " + why);
  return r;
}

}  // namespace feedd::config
