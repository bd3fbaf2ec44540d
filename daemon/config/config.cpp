#include "config/config.hpp"

#include <date/tz.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <system_error>
#include <utility>

#include "lib/curl/url.hpp"
#include "lib/iconv/iconv.hpp"
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
constexpr std::size_t kMaxIframeHosts = 1000;
constexpr std::size_t kMaxHostBytes = 253;

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
  std::string lower(url.substr(0, 8));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
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

// One pass over the parsed document. Every check appends to errors_/warnings_ and carries on,
// so the caller sees all problems at once; messages are sorted into file order at the end.
class Loader {
 public:
  explicit Loader(const fs::path& file) : dir_(file.parent_path()) {
    if (dir_.empty()) dir_ = ".";
    cfg_.file = file;
  }

  void run(const YAML::Node& root) {
    if (!root.IsMap() && !root.IsNull()) {
      error(root, "expected a mapping of settings and \"categories\"");
      return;
    }
    std::optional<std::string> output, state, inbox;
    YAML::Node categories;
    bool have_categories = false;
    for_each_key(
        root,
        {"output", "state", "listen", "base_url", "interval", "feed_entries", "image_proxy",
         "rsshub", "timezone", "inbox", "keep_days", "refresh_token", "iframe_hosts", "categories"},
        [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
          if (key == "categories") {
            categories = v;
            have_categories = true;
            categories_key_ = k;
            return;
          }
          if (key == "iframe_hosts") return read_iframe_hosts(v);
          const auto s = scalar(key, v);
          if (!s) return;
          if (key == "output" || key == "state") {
            if (s->empty()) return error(v, dq(key) + " must not be empty");
            (key == "output" ? output : state) = *s;
          } else if (key == "inbox") {
            inbox = *s;
          } else if (key == "listen") {
            if (!valid_listen(*s)) return error(v, std::string(kListenRule) + ", not " + dq(*s));
            cfg_.listen = *s;
          } else if (key == "base_url" || key == "rsshub") {
            if (!is_web_url(*s)) {
              rsshub_ok_ = rsshub_ok_ && key != "rsshub";
              return error(v, dq(key) + " must be an absolute http or https URL, not " +
                                  dq(lib::redact_url(*s)));
            }
            if (key == "base_url") {
              cfg_.base_url = *s;
              if (!cfg_.base_url.ends_with('/')) cfg_.base_url += '/';
            } else {
              cfg_.rsshub = *s;
              while (cfg_.rsshub.ends_with('/'))
                cfg_.rsshub.pop_back();
            }
          } else if (key == "image_proxy") {
            if (!s->empty() && !is_web_url(*s))
              return error(v,
                           "\"image_proxy\" must be \"\" or an absolute http or https "
                           "URL prefix, not " +
                               dq(lib::redact_url(*s)));
            cfg_.image_proxy = *s;
          } else if (key == "interval") {
            if (auto d = check_duration(v, *s, "")) cfg_.interval = *d;
          } else if (key == "timezone") {
            if (check_timezone(v, *s, "")) cfg_.timezone = *s;
          } else if (key == "feed_entries") {
            const auto n = parse_int<int>(*s);
            if (!n || *n < 1 || *n > kMaxFeedEntries)
              return error(v, "\"feed_entries\" must be a whole number from 1 to " +
                                  std::to_string(kMaxFeedEntries) + ", not " + dq(*s));
            cfg_.feed_entries = *n;
          } else if (key == "keep_days") {
            const auto n = parse_int<int>(*s);
            if (!n || *n < 0 || *n > kMaxKeepDays)
              return error(v, "\"keep_days\" must be a whole number of days from 0 to " +
                                  std::to_string(kMaxKeepDays) + ", not " + dq(*s));
            cfg_.keep_days = *n;
          } else if (key == "refresh_token") {
            cfg_.refresh_token = *s;  // a secret: never echoed
          }
        });

    cfg_.output = resolve(output.value_or("output"));
    cfg_.state = state ? resolve(*state) : (cfg_.output / "feedd.db").lexically_normal();
    if (inbox && !inbox->empty()) cfg_.inbox = resolve(*inbox);

    // Channels inherit the globals, so the tree is walked once all of them are known,
    // wherever `categories:` sits in the file.
    if (!have_categories || categories.IsNull() ||
        (categories.IsSequence() && categories.size() == 0)) {
      error(have_categories ? categories_key_ : root,
            "\"categories\" must list at least one category");
    } else if (!categories.IsSequence()) {
      error(categories, "\"categories\" must be a list");
    } else {
      walk_categories(categories);
    }
  }

  LoadResult finish(const std::string& path) && {
    auto render = [&](std::vector<Diag>& diags) {
      std::stable_sort(diags.begin(), diags.end(),
                       [](const Diag& a, const Diag& b) { return a.line < b.line; });
      std::vector<std::string> out;
      out.reserve(diags.size());
      for (auto& d : diags)
        out.push_back(path + ":" + std::to_string(d.line) + ": " + d.text);
      return out;
    };
    LoadResult r;
    r.errors = render(errors_);
    r.warnings = render(warnings_);
    if (r.errors.empty()) r.config = std::move(cfg_);
    return r;
  }

 private:
  using KeyFn =
      std::function<void(const std::string&, const YAML::Node& key, const YAML::Node& value)>;

  void error(const YAML::Node& at, std::string text) {
    errors_.push_back({line_of(at), std::move(text)});
  }
  void error(int line, std::string text) { errors_.push_back({line, std::move(text)}); }

  // Visits the keys of `map` in file order, warning about unknown ones and rejecting repeats
  // (yaml-cpp keeps both, and silently taking either would hide a mistake).
  void for_each_key(const YAML::Node& map, std::initializer_list<std::string_view> known,
                    const KeyFn& fn) {
    if (!map.IsMap()) return;
    std::map<std::string, int> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) {
        error(kv.first, "expected a key name");
        continue;
      }
      const std::string& key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        warnings_.push_back({line_of(kv.first), "unknown key " + dq(key) + " (ignored)"});
        continue;
      }
      const auto [it, fresh] = seen.emplace(key, line_of(kv.first));
      if (!fresh) {
        error(kv.first,
              "duplicate key " + dq(key) + " (first on line " + std::to_string(it->second) + ")");
        continue;
      }
      fn(key, kv.first, kv.second);
    }
  }

  // The text of a scalar value; nullopt (after an error) for a list or mapping, and nullopt
  // without one for a null value, which counts as not given.
  std::optional<std::string> scalar(const std::string& key, const YAML::Node& v) {
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

  // A list of host names whose iframes articles may keep; lower-cased, duplicates dropped.
  void read_iframe_hosts(const YAML::Node& v) {
    if (v.IsNull()) return;
    if (!v.IsSequence()) return error(v, "\"iframe_hosts\" must be a list of host names");
    for (const auto& item : v) {
      if (cfg_.iframe_hosts.size() >= kMaxIframeHosts) {
        return error(item, "more than " + std::to_string(kMaxIframeHosts) + " iframe_hosts");
      }
      std::string host = item.IsScalar() ? item.Scalar() : std::string();
      std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      });
      if (!valid_host(host)) {
        // Echoed only when printable, so that a value cannot forge a diagnostic line.
        error(item, std::string("invalid iframe host") + (printable(host) ? " " + dq(host) : "") +
                        " (" + kHostRule + ")");
        continue;
      }
      if (std::find(cfg_.iframe_hosts.begin(), cfg_.iframe_hosts.end(), host) ==
          cfg_.iframe_hosts.end()) {
        cfg_.iframe_hosts.push_back(std::move(host));
      }
    }
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
      error(at, "more than " + std::to_string(kMaxItems) + " categories, sources and channels");
    return false;
  }

  // Shared by all three levels: name and slug checks, and the slug's uniqueness among siblings.
  struct Named {
    std::string name, slug;
    int slug_line = 0;
    std::optional<std::string> explicit_slug;
  };

  static std::string label(std::string_view kind, const std::string& name) {
    return name.empty() ? std::string(kind) : std::string(kind) + " " + dq(name);
  }

  void check_name(std::string_view kind, const YAML::Node& item, Named& n) {
    if (n.name.empty()) {
      error(item, std::string(kind) + " has no \"name\"");
      return;
    }
    const bool control = std::any_of(n.name.begin(), n.name.end(),
                                     [](unsigned char c) { return c < ' ' || c == 0x7f; });
    if (control || n.name.size() > kMaxNameBytes) {
      // Not echoed: a name with a line break would forge a second diagnostic line.
      error(item, std::string(kind) + " name must be one line of at most " +
                      std::to_string(kMaxNameBytes) + " bytes");
    }
  }

  void check_slug(std::string_view kind, const YAML::Node& item, Named& n,
                  std::map<std::string, int>& siblings) {
    if (n.explicit_slug) {
      if (!valid_slug(*n.explicit_slug)) {
        error(n.slug_line, label(kind, n.name) + ": invalid slug " + dq(*n.explicit_slug) + " (" +
                               kSlugRule + ")");
        return;
      }
      n.slug = *n.explicit_slug;
    } else {
      n.slug_line = line_of(item);
      if (n.name.empty()) return;
      if (!is_ascii(n.name)) {
        error(item, label(kind, n.name) + " needs a slug: its name is not ASCII");
        return;
      }
      const std::string derived = derive_slug(n.name);
      if (!valid_slug(derived)) {
        error(item, label(kind, n.name) + " needs a slug: " + dq(derived) +
                        ", made from its name, is not valid (" + kSlugRule + ")");
        return;
      }
      n.slug = derived;
    }
    if (kind == "category" && n.slug == "all") {
      error(n.slug_line, label(kind, n.name) + ": slug \"all\" is reserved for feeds/all.xml");
      return;
    }
    const auto [it, fresh] = siblings.emplace(n.slug, n.slug_line);
    if (!fresh) {
      error(n.slug_line, "duplicate " + std::string(kind) + " slug " + dq(n.slug) +
                             " (first used on line " + std::to_string(it->second) + ")");
    }
  }

  // Reads name/slug keys and hands every other known key to `other`.
  Named read_named(std::string_view kind, const YAML::Node& item,
                   std::initializer_list<std::string_view> known, const KeyFn& other) {
    Named n;
    for_each_key(item, known,
                 [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
                   if (key == "name") {
                     if (auto s = scalar(key, v)) n.name = *s;
                   } else if (key == "slug") {
                     if (auto s = scalar(key, v)) {
                       n.explicit_slug = *s;
                       n.slug_line = line_of(v);
                     }
                   } else {
                     other(key, k, v);
                   }
                 });
    check_name(kind, item, n);
    return n;
  }

  // A list of child items under `key`; false (after an error) when missing, empty or not a list.
  bool child_list(const YAML::Node& item, const std::string& what, const YAML::Node& list,
                  bool given, const std::string& owner) {
    if (!given || list.IsNull() || (list.IsSequence() && list.size() == 0)) {
      error(item, owner + " has no " + what);
      return false;
    }
    if (!list.IsSequence()) {
      error(list, dq(what) + " must be a list");
      return false;
    }
    return true;
  }

  void walk_categories(const YAML::Node& list) {
    std::map<std::string, int> slugs;
    for (const auto& item : list) {
      if (!budget(item)) return;
      if (!item.IsMap()) {
        error(item, "a category must be a mapping with a \"name\"");
        continue;
      }
      YAML::Node sources;
      bool given = false;
      Named n = read_named("category", item, {"name", "slug", "sources"},
                           [&](const std::string&, const YAML::Node&, const YAML::Node& v) {
                             sources = v;
                             given = true;
                           });
      check_slug("category", item, n, slugs);
      Category cat;
      cat.name = n.name;
      cat.slug = n.slug;
      cat.line = line_of(item);
      if (child_list(item, "sources", sources, given, label("category", n.name)))
        walk_sources(sources, cat);
      cfg_.categories.push_back(std::move(cat));
    }
  }

  void walk_sources(const YAML::Node& list, Category& cat) {
    std::map<std::string, int> slugs;
    for (const auto& item : list) {
      if (!budget(item)) return;
      if (!item.IsMap()) {
        error(item, "a source must be a mapping with a \"name\"");
        continue;
      }
      YAML::Node channels;
      bool given = false;
      Named n = read_named("source", item, {"name", "slug", "channels"},
                           [&](const std::string&, const YAML::Node&, const YAML::Node& v) {
                             channels = v;
                             given = true;
                           });
      check_slug("source", item, n, slugs);
      Source src;
      src.name = n.name;
      src.slug = n.slug;
      src.line = line_of(item);
      if (child_list(item, "channels", channels, given, label("source", n.name)))
        walk_channels(channels, cat, src);
      cat.sources.push_back(std::move(src));
    }
  }

  void walk_channels(const YAML::Node& list, const Category& cat, Source& src) {
    std::map<std::string, int> slugs;
    for (const auto& item : list) {
      if (!budget(item)) return;
      if (!item.IsMap()) {
        error(item, "a channel must be a mapping with a \"name\"");
        continue;
      }
      Channel ch;
      ch.interval = cfg_.interval;
      ch.timezone = cfg_.timezone;
      ch.line = line_of(item);
      std::optional<std::string> url, route;
      YAML::Node url_node, route_node, interval_node, timezone_node, encoding_node;
      std::optional<std::string> interval, tz, encoding;
      Named n = read_named("channel", item,
                           {"name", "slug", "url", "route", "interval", "timezone", "encoding"},
                           [&](const std::string& key, const YAML::Node&, const YAML::Node& v) {
                             auto s = scalar(key, v);
                             if (!s) return;
                             if (key == "url") {
                               url = s;
                               url_node = v;
                             } else if (key == "route") {
                               route = s;
                               route_node = v;
                             } else if (key == "interval") {
                               interval = s;
                               interval_node = v;
                             } else if (key == "timezone") {
                               tz = s;
                               timezone_node = v;
                             } else {
                               encoding = s;
                               encoding_node = v;
                             }
                           });
      check_slug("channel", item, n, slugs);
      ch.name = n.name;
      ch.slug = n.slug;
      const std::string who = label("channel", n.name);
      if (url && route) {
        error(item, who + " has both \"url\" and \"route\": keep one");
      } else if (!url && !route) {
        error(item, who + " needs a \"url\" or a \"route\"");
      } else if (url) {
        if (lib::is_fetchable_url(*url)) {
          ch.url = *url;
        } else {
          error(url_node, who + ": \"url\" must be an absolute http, https or file URL, not " +
                              dq(lib::redact_url(*url)));
        }
      } else if (!route->starts_with('/')) {
        error(route_node, who + ": route " + dq(*route) + " must start with '/'");
      } else {
        ch.route = *route;
        ch.url = cfg_.rsshub + *route;
        // A bad rsshub is reported once, on its own line, not again for every route.
        if (rsshub_ok_ && !lib::is_fetchable_url(ch.url))
          error(route_node, who + ": route " + dq(*route) + " does not make a valid URL");
      }
      if (interval) {
        if (auto d = check_duration(interval_node, *interval, who + ": ")) ch.interval = *d;
      }
      if (tz && check_timezone(timezone_node, *tz, who + ": ")) ch.timezone = *tz;
      if (encoding && check_encoding(encoding_node, *encoding, who + ": ")) ch.encoding = *encoding;
      ch.top_name = cat.name;
      ch.top_slug = cat.slug;
      ch.source_name = src.name;
      ch.source_slug = src.slug;
      src.channels.push_back(std::move(ch));
    }
  }

  fs::path dir_;
  Config cfg_;
  std::vector<Diag> errors_, warnings_;
  YAML::Node categories_key_;
  bool rsshub_ok_ = true;
  int items_ = 0;
};

}  // namespace

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
