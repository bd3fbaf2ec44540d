#pragma once
// feeds.yaml → Config. Pure apart from load_config(), which reads the file.
// Format: ../shared/DESIGN.md "feeds.yaml". Diagnostics read "PATH:LINE: message" where PATH is
// the path exactly as the caller gave it (so "feeds.yaml:12: ..." for a relative path).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rules.hpp"

namespace feedd::config {

struct Channel {
  std::string name;
  std::string slug;   // [a-z0-9_-]+, unique among siblings
  std::string url;    // absolute; a `route:` is joined to `rsshub` here
  std::string route;  // as written, "" when `url:` was given
  // What to fetch, in the order to try: for a `route:`, its URL on each `rsshub` instance (with
  // `key=` when rsshub_key is set), in config order; for a `url:`, just that URL. Never empty
  // in a loaded Config; front() == url.
  std::vector<std::string> urls;
  std::chrono::seconds interval{};  // per-channel override or the global default
  std::string timezone;             // IANA name; per-channel override or the global default
  std::string encoding;             // charset label iconv knows, overriding detection; "" = detect
  int line = 0;                     // line of the channel in feeds.yaml (1-based)
  // The drop/keep rules in effect (issue 14): its category's, its source's, then its own, each
  // named by its place in feeds.yaml. Empty: every item is kept.
  rules::RuleSet rules;
  // `updates: true` (its own, else its source's, else its category's; default false): an item
  // that comes back under the same GUID with a changed title or body rewrites its post and
  // Atom entry (same file name and id, a new entry updated).
  bool updates = false;

  // Filled by the loader so a Channel can be used on its own:
  std::string top_name, top_slug, source_name, source_slug;

  // "top/source/channel" in slugs: the channel's identity in the store, logs and URLs.
  std::string path() const { return top_slug + "/" + source_slug + "/" + slug; }
};

struct Source {
  std::string name;  // display name; also the articles' `author`
  std::string slug;
  std::vector<Channel> channels;
  int line = 0;
  rules::RuleSet rules{};         // its own drop/keep rules (its channels' include them)
  std::optional<bool> updates{};  // its own `updates:`, nullopt when not given
};

struct Category {
  std::string name;
  std::string slug;
  std::vector<Source> sources;
  int line = 0;
  rules::RuleSet rules{};         // its own drop/keep rules (its channels' include them)
  std::optional<bool> updates{};  // its own `updates:`, nullopt when not given
};

// `images:`, what happens to the images of articles (issue 13).
enum class ImageMode {
  hotlink,   // the original URLs (http:// ones through image_proxy): the default
  download,  // fetched at ingest into <output>/images/, URLs rewritten to image_base
  proxy,     // <base_url>img/<signature>/<url>, fetched and cached by the daemon
};

// "hotlink", "download", "proxy".
const char* image_mode_name(ImageMode mode);

struct Config {
  std::filesystem::path file;    // the feeds.yaml this came from, as given
  std::filesystem::path output;  // resolved against the directory of `file`
  std::filesystem::path state;   // resolved likewise; default <output>/feedd.db
  std::filesystem::path inbox;   // resolved likewise; empty = no inbox
  std::string listen = "127.0.0.1:8080";
  std::string base_url = "http://127.0.0.1:8080/";  // always ends with '/'
  std::chrono::seconds interval{30 * 60};
  int feed_entries = 50;
  std::string image_proxy = "https://cors.zfour.workers.dev/?";
  // RSSHub instances a `route:` is joined to, tried in this order; none ends with '/'.
  std::vector<std::string> rsshub = {"https://rsshub.app"};
  std::string rsshub_key;  // the instances' ACCESS_KEY, sent as key=; never logged ("" = none)
  // argv run (no shell) after a cycle that wrote posts; empty = none.
  std::vector<std::string> on_new_posts;
  std::string webhook;  // http(s) URL POSTed each such cycle's new articles; "" = none
  std::string timezone = "Asia/Shanghai";
  int keep_days = 0;
  std::string refresh_token;  // never logged
  // Hosts whose <iframe> embeds articles keep (sandboxed), lower-case. Exact names: a subdomain
  // must be listed itself. The default: the video players the shipped sources embed. An empty
  // list: every iframe goes.
  std::vector<std::string> iframe_hosts = {"player.bilibili.com", "v.qq.com"};
  ImageMode images = ImageMode::hotlink;
  // Where downloaded images are published: an absolute http(s) URL or a path from the site's
  // root ("/images/"), always ending with '/'. Default: base_url + "images/".
  std::string image_base;
  // `referer:` host suffix (lower-case) → the Referer its images are fetched with, file order.
  std::vector<std::pair<std::string, std::string>> referer;
  int image_cache_mb = 256;          // images: proxy, the disk cache's bound
  bool image_private_hosts = false;  // lifts the SSRF guard (tests, LANs)
  int image_max_per_article = 30;
  int image_max_mb = 16;  // one image
  int image_article_mb = 32;
  int image_cycle_mb = 256;
  std::vector<Category> categories;

  // Every channel in file order.
  std::vector<const Channel*> channels() const;
};

// True when `listen` (HOST:PORT) accepts connections from other machines (its host is not
// localhost, 127.x or [::1]) while `base_url` names a loopback host: the links feedd writes into
// feeds and the OPML would then not work for the readers that can reach it.
bool public_listen_with_loopback_base(const Config& config);

struct LoadResult {
  std::optional<Config> config;       // set iff errors is empty
  std::vector<std::string> errors;    // "PATH:LINE: message", in file order
  std::vector<std::string> warnings;  // unknown keys etc., same format
};

// Parses feeds.yaml text. `file` names the file in messages and anchors relative paths.
// Never throws; every problem found is reported (not just the first).
LoadResult parse_config(std::string_view text, const std::filesystem::path& file);

// Reads `file` and parses it; an unreadable file is one error "PATH: cannot read: REASON".
// Files over 1 MiB are refused. Never throws.
LoadResult load_config(const std::filesystem::path& file);

// The mappings of feeds.yaml: the top level, and the items of the tree.
enum class KeyLevel { top, category, source, channel };

// The keys feeds.yaml accepts at `level`, in the loader's order. They come from the table the
// loader dispatches on, so every key listed is read into Config, and any other is warned
// about as unknown and ignored.
std::vector<std::string_view> known_keys(KeyLevel level);

// "90s", "30m", "2h", "1d" (a positive integer and one unit). nullopt otherwise, and for
// anything longer than 365 days (a bound, so the arithmetic cannot overflow).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace feedd::config
