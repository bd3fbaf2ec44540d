#include "serve/status.hpp"

#include <date/date.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "util/ascii.hpp"
#include "util/markup.hpp"
#include "util/time.hpp"

namespace feedd::serve {

namespace {

// Safe in text and in double- or single-quoted attribute values.
std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  append_escaped(out, s, Escape::kAnyQuoting);
  return out;
}

// An upstream URL becomes a link only when it is http(s): escaping alone does not stop a
// javascript: or data: URL from running when clicked.
bool linkable(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (ascii_lower(url[i]) != prefix[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

// For a query value: unreserved characters and '/' stay readable, the rest is %XX.
std::string query_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

std::string duration_text(std::chrono::seconds d) {
  long long s = d.count();
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min";
  if (s < 86400) return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  return std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h";
}

std::string relative(std::chrono::sys_seconds t, std::chrono::sys_seconds now) {
  auto d = t - now;
  if (d > std::chrono::seconds{-5} && d < std::chrono::seconds{5}) return "now";
  return d < std::chrono::seconds{0} ? duration_text(-d) + " ago" : "in " + duration_text(d);
}

// <time> with UTC text and a relative hint; "—" when absent.
std::string time_cell(const std::optional<std::chrono::sys_seconds>& t,
                      std::chrono::sys_seconds now) {
  if (!t) return "<span class=\"none\">—</span>";
  return "<time datetime=\"" + format_rfc3339(*t) + "\">" + date::format("%F %T", *t) +
         "</time> <span class=\"rel\">(" + relative(*t, now) + ")</span>";
}

std::string outcome_class(std::string_view outcome) {
  if (outcome.empty()) return "never";
  if (outcome == "ok" || outcome == "not_modified") return "ok";
  return "fail";
}

// Below 40rem each channel row becomes a labelled card: as a nine-column table on a phone the
// last poll sat off-screen and URLs wrapped a character a line. The labels live in the CSS so
// the markup is the same at every width.
constexpr std::string_view kStyle = R"css(
:root{color-scheme:light dark;--bg:#fff;--fg:#1d1d1f;--muted:#6e6e73;--line:#d2d2d7;--accent:#0a5cc2;--ok:#1a7f37;--fail:#c62828;--row:#f5f5f7}
@media (prefers-color-scheme: dark){:root{--bg:#161618;--fg:#e8e8ed;--muted:#a1a1a6;--line:#3a3a3c;--accent:#6cb4ff;--ok:#56d364;--fail:#ff7b72;--row:#1f1f22}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
ul.feeds,ul.feeds ul{list-style:none;padding-left:1.1rem;margin:.15rem 0}
ul.feeds{padding-left:0}
ul.feeds li{margin:.15rem 0}
code{font-size:.85em;color:var(--muted)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
tbody tr:nth-child(even){background:var(--row)}
td.url,td.last-error{word-break:break-all;max-width:18rem}
.rel,.none,.muted{color:var(--muted)}
.warning{border:1px solid #c60;padding:.5rem .75rem;border-radius:.3rem}
.ok{color:var(--ok)}.fail{color:var(--fail)}.never{color:var(--muted)}
button{font:inherit;padding:.3rem .8rem;border:1px solid var(--line);border-radius:.4rem;background:var(--row);color:var(--fg);cursor:pointer}
button:hover{border-color:var(--accent)}
form{display:inline;margin:0}
footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
@media (max-width:40rem){
.table-wrap{overflow-x:visible}
table,tbody,tr,td{display:block;width:100%}
thead{display:none}
tbody tr{border-bottom:1px solid var(--line);padding:.4rem 0}
td{border:0;padding:.1rem .5rem;max-width:none}
td.title{font-weight:600}
td.last-error:empty{display:none}
td.path::before,td.url::before,td.last-poll::before,td.result::before,td.articles::before,td.next-poll::before,td.last-error::before{display:inline-block;min-width:6.5rem;color:var(--muted);font-size:.85em}
td.path::before{content:"Path"}td.url::before{content:"URL"}td.last-poll::before{content:"Last poll"}td.result::before{content:"Result"}td.articles::before{content:"Articles"}td.next-poll::before{content:"Next poll"}td.last-error::before{content:"Last error"}
}
)css";

}  // namespace

std::string render_status_page(const StatusSnapshot& s) {
  std::string o;
  o.reserve(8192 + s.channels.size() * 1024 + s.feeds.size() * 256);
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<meta name=\"color-scheme\" content=\"light dark\">\n<title>feedd</title>\n";
  for (const FeedLink& f : s.feeds) {
    o += "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"" + html_escape(f.title) +
         "\" href=\"" + html_escape(f.url) + "\">\n";
  }
  o += "<style>";
  o += kStyle;
  o += "</style>\n</head>\n<body>\n<h1>feedd</h1>\n";
  for (const std::string& w : s.warnings)
    o += "<p class=\"warning\" role=\"alert\">⚠ " + html_escape(w) + "</p>\n";

  o += "<section id=\"feeds\">\n<h2>Feeds</h2>\n";
  if (s.feeds.empty()) {
    o += "<p class=\"muted\">No feeds yet.</p>\n";
  } else {
    // Nested lists from depths in pre-order. Depths are clamped so a bad one cannot
    // unbalance the markup: never above the first item's, never more than one level deeper.
    const int base = std::clamp(s.feeds.front().depth, 0, 3);
    int cur = base;
    o += "<ul class=\"feeds\">\n";
    for (std::size_t i = 0; i < s.feeds.size(); ++i) {
      const FeedLink& f = s.feeds[i];
      int d = std::clamp(f.depth, base, 3);
      if (i > 0) {
        if (d > cur) {
          d = cur + 1;
          o += "\n<ul>\n";
        } else {
          o += "</li>\n";
          for (; cur > d; --cur)
            o += "</ul></li>\n";
        }
      }
      cur = d;
      o += "<li class=\"feed\" data-path=\"" + html_escape(f.path) + "\"><a href=\"" +
           html_escape(f.url) + "\">" + html_escape(f.title) + "</a> <code>" +
           html_escape(f.path.empty() ? "all" : f.path) + "</code>";
    }
    o += "</li>\n";
    for (; cur > base; --cur)
      o += "</ul></li>\n";
    o += "</ul>\n";
  }
  o += "</section>\n";

  o += "<section id=\"channels\">\n<h2>Channels</h2>\n";
  o +=
      "<div class=\"actions\"><form method=\"post\" action=\"/refresh\"><button id=\"refresh-all\" "
      "type=\"submit\">Refresh now</button></form>";
  if (s.refresh_needs_token) {
    o += " <span class=\"muted\">(the refresh buttons work from this machine only; other "
         "clients need the refresh token)</span>";
  }
  o += "</div>\n<div class=\"table-wrap\">\n<table>\n<thead><tr><th>Channel</th><th>Path</th>"
       "<th>URL</th><th>Last poll</th><th>Result</th><th>Articles</th><th>Next poll</th>"
       "<th>Last error</th><th></th></tr></thead>\n<tbody>\n";
  for (const ChannelStatus& c : s.channels) {
    const std::string path = html_escape(c.path);
    o += "<tr class=\"channel\" data-path=\"" + path + "\">";
    o += "<td class=\"title\">" + html_escape(c.title) + "</td>";
    o += "<td class=\"path\"><code>" + path + "</code></td>";
    o += "<td class=\"url\">";
    if (linkable(c.url)) {
      o += "<a href=\"" + html_escape(c.url) + "\" rel=\"noreferrer\">" + html_escape(c.url) +
           "</a>";
    } else {
      o += html_escape(c.url);
    }
    if (!c.instance.empty())
      o +=
          " <span class=\"instance muted\">via <code>" + html_escape(c.instance) + "</code></span>";
    o += "</td>";
    o += "<td class=\"last-poll\">" + time_cell(c.last_poll, s.now) + "</td>";
    o += "<td class=\"result " + outcome_class(c.last_outcome) + "\">";
    o += c.last_outcome.empty() ? "never polled" : html_escape(c.last_outcome);
    if (c.consecutive_failures > 0) {
      o += " <span class=\"failures\">×" + std::to_string(c.consecutive_failures) + "</span>";
    }
    if (c.polling) o += " <span class=\"polling\">(polling…)</span>";
    o += "</td>";
    o += "<td class=\"articles\">" + std::to_string(c.articles) + "</td>";
    o += "<td class=\"next-poll\">" + time_cell(c.next_poll, s.now) + "</td>";
    o += "<td class=\"last-error\">" + html_escape(c.last_error) + "</td>";
    o +=
        "<td><form method=\"post\" action=\"/refresh?channel=" + html_escape(query_encode(c.path)) +
        "\"><button class=\"refresh\" type=\"submit\">Refresh</button></form></td>";
    o += "</tr>\n";
  }
  o += "</tbody>\n</table>\n</div>\n</section>\n";

  const auto uptime = std::max(s.now - s.started, std::chrono::sys_seconds::duration{0});
  o += "<footer>feedd <span id=\"version\">" + html_escape(s.version) +
       "</span> · up <span id=\"uptime\">" + duration_text(uptime) +
       "</span> · <span id=\"total-articles\">" + std::to_string(s.total_articles) +
       "</span> articles";
  if (s.last_cycle_end) {
    o += " · last cycle " + time_cell(s.last_cycle_end, s.now);
  }
  o += " · <a href=\"/feeds.opml\">OPML</a> · <a href=\"/metrics\">metrics</a></footer>\n";
  o += "</body>\n</html>\n";
  return o;
}

namespace {

// Label values: backslash, double quote and line feed are escaped (exposition format 0.0.4).
std::string label_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : "NaN";
}

void family(std::string& o, std::string_view name, std::string_view type, std::string_view help) {
  o += "# HELP ";
  o += name;
  o += ' ';
  o += help;
  o += "\n# TYPE ";
  o += name;
  o += ' ';
  o += type;
  o += '\n';
}

void sample(std::string& o, std::string_view name, std::string_view label,
            std::string_view label_value, const std::string& value) {
  o += name;
  if (!label.empty()) {
    o += '{';
    o += label;
    o += "=\"";
    o += label_escape(label_value);
    o += "\"}";
  }
  o += ' ';
  o += value;
  o += '\n';
}

}  // namespace

std::string render_metrics(const StatusSnapshot& s) {
  // Channels by path, each once: a series may appear only once, and the order must not depend
  // on the order the daemon happened to list them in.
  std::vector<const ChannelStatus*> channels;
  std::set<std::string_view> seen;
  for (const ChannelStatus& c : s.channels) {
    if (seen.insert(c.path).second) channels.push_back(&c);
  }
  std::sort(channels.begin(), channels.end(),
            [](const ChannelStatus* a, const ChannelStatus* b) { return a->path < b->path; });

  std::string o;
  family(o, "feedd_fetches_total", "counter", "Feed fetches since start, by outcome.");
  for (const auto& [outcome, count] : s.fetches_by_outcome) {
    sample(o, "feedd_fetches_total", "outcome", outcome, std::to_string(count));
  }
  family(o, "feedd_articles_stored", "gauge", "Articles in the store.");
  sample(o, "feedd_articles_stored", "", "", std::to_string(s.total_articles));
  family(o, "feedd_last_cycle_duration_seconds", "gauge",
         "Duration of the last completed poll cycle in seconds.");
  sample(o, "feedd_last_cycle_duration_seconds", "", "", number(s.last_cycle_seconds));
  family(o, "feedd_channel_consecutive_failures", "gauge", "Failed polls in a row, per channel.");
  for (const ChannelStatus* c : channels) {
    sample(o, "feedd_channel_consecutive_failures", "channel", c->path,
           std::to_string(c->consecutive_failures));
  }
  family(o, "feedd_channel_articles", "gauge", "Articles per channel.");
  for (const ChannelStatus* c : channels) {
    sample(o, "feedd_channel_articles", "channel", c->path, std::to_string(c->articles));
  }
  family(o, "feedd_channel_rsshub_instance", "gauge",
         "The RSSHub instance that served each route channel last; the value is always 1.");
  for (const ChannelStatus* c : channels) {
    if (c->instance.empty()) continue;
    o += "feedd_channel_rsshub_instance{channel=\"" + label_escape(c->path) + "\",instance=\"" +
         label_escape(c->instance) + "\"} 1\n";
  }
  family(o, "feedd_hook_runs_total", "counter", "Runs of the on_new_posts hook, by result.");
  sample(o, "feedd_hook_runs_total", "result", "ok",
         std::to_string(s.hook_runs - std::min(s.hook_runs, s.hook_failures)));
  sample(o, "feedd_hook_runs_total", "result", "failed", std::to_string(s.hook_failures));
  family(o, "feedd_webhook_posts_total", "counter",
         "Webhook POST attempts by result (dropped: given up after retries or queue full).");
  sample(o, "feedd_webhook_posts_total", "result", "delivered",
         std::to_string(s.webhook_delivered));
  sample(o, "feedd_webhook_posts_total", "result", "failed", std::to_string(s.webhook_failures));
  sample(o, "feedd_webhook_posts_total", "result", "dropped", std::to_string(s.webhook_dropped));
  family(o, "feedd_http_requests_total", "counter", "HTTP requests served since start.");
  sample(o, "feedd_http_requests_total", "", "", std::to_string(s.http_requests));
  family(o, "feedd_start_time_seconds", "gauge",
         "Start time of the process since the Unix epoch in seconds.");
  sample(o, "feedd_start_time_seconds", "", "",
         std::to_string(s.started.time_since_epoch().count()));
  family(o, "feedd_build_info", "gauge", "Build information; the value is always 1.");
  sample(o, "feedd_build_info", "version", s.version, "1");
  family(o, "feedd_items_dropped_total", "counter",
         "Items dropped by drop/keep rules since start, per channel and rule.");
  for (const auto& [key, count] : s.drops_by_rule) {
    o += "feedd_items_dropped_total{channel=\"";
    o += label_escape(key.first);
    o += "\",rule=\"";
    o += label_escape(key.second);
    o += "\"} ";
    o += std::to_string(count);
    o += '\n';
  }
  return o;
}

}  // namespace feedd::serve
