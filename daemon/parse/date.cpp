#include "parse/date.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <locale>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

#include "util/ascii.hpp"

namespace feedd::parse {
namespace {

using std::chrono::minutes;
using std::chrono::sys_seconds;

constexpr std::size_t kMaxInput = 128;
constexpr std::size_t kMaxCachedZones = 64;
constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;
// Real offsets stay within ±14 h; past ±18 h (ISO 8601's practical limit) it is garbage.
constexpr minutes kMaxOffset{18 * 60};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}
bool all_alpha(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_alpha);
}

// Every run of white space (ASCII, NBSP, U+3000) becomes one ASCII space; ends are trimmed.
std::string fold_space(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool pending = false;
  for (std::size_t i = 0; i < in.size();) {
    std::size_t width = 0;
    const char c = in[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      width = 1;
    } else if (in.substr(i, 2) == "\xC2\xA0") {
      width = 2;
    } else if (in.substr(i, 3) == "\xE3\x80\x80") {
      width = 3;
    }
    if (width > 0) {
      pending = true;
      i += width;
      continue;
    }
    if (pending && !out.empty()) out += ' ';
    pending = false;
    out += c;
    ++i;
  }
  return out;
}

void trim(std::string& s) {
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  while (!s.empty() && s.front() == ' ')
    s.erase(0, 1);
}

// Parses all of `s` with `fmt`; trailing input is a failure, not ignored.
template <class T>
bool parse_whole(const std::string& s, const char* fmt, T& out) {
  // date::from_stream reads %S into an uninitialised long double and converts it to an integer
  // even when that read failed (undefined behaviour, seen as "nan is outside the range" under
  // UBSan). Seconds only fail to read when their ':' is not followed by a digit, so such text is
  // refused here; it could not have parsed anyway.
  if (std::string_view(fmt).find("%S") != std::string_view::npos) {
    for (std::size_t i = s.find(':'); i != std::string::npos; i = s.find(':', i + 1)) {
      if (i + 1 == s.size() || !is_digit(s[i + 1])) return false;
    }
  }
  // One stream per thread, reset for each read: a date is tried against several formats, and
  // building and imbuing a stream per try cost more than the reads. from_stream restores the
  // stream's flags, width and locale when it returns; clear() resets its state.
  thread_local std::istringstream is = [] {
    std::istringstream fresh;
    // Feeds write English names whatever our locale is. date::date is built with
    // ONLY_C_LOCALE=1 (its own name tables); classic() keeps that true should the build change.
    fresh.imbue(std::locale::classic());
    return fresh;
  }();
  is.clear();
  is.str(s);
  T value{};
  date::from_stream(is, fmt, value);
  if (is.fail()) return false;
  if (is.peek() != std::char_traits<char>::eof()) return false;
  out = value;
  return true;
}

// RFC 822 §5.1 names, plus a few unambiguous ones real feeds use. Military letters are read as
// UTC, as RFC 2822 §4.3 recommends (RFC 822 got their signs backwards).
// `separate`: the name stood as a word of its own, so an unknown one is still a zone.
std::optional<minutes> named_zone(std::string_view name, bool separate) {
  struct Zone {
    std::string_view name;
    int minutes;
  };
  static constexpr std::array<Zone, 26> kZones{{
      {"UT", 0},        {"UTC", 0},       {"GMT", 0},       {"Z", 0},         {"EST", -5 * 60},
      {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60}, {"MST", -7 * 60}, {"MDT", -6 * 60},
      {"PST", -8 * 60}, {"PDT", -7 * 60}, {"WET", 0},       {"WEST", 60},     {"BST", 60},
      {"CET", 60},      {"CEST", 120},    {"EET", 120},     {"EEST", 180},    {"MSK", 180},
      {"HKT", 480},     {"SGT", 480},     {"JST", 540},     {"KST", 540},     {"AEST", 600},
      {"AEDT", 660},
  }};
  for (const auto& z : kZones) {
    if (ascii_iequals(z.name, name)) return minutes{z.minutes};
  }
  if (name.size() == 1 && is_alpha(name[0]) && to_upper(name[0]) != 'J') return minutes{0};
  // RFC 2822 §4.3: an unknown multi-letter zone "SHOULD be considered equivalent to -0000".
  if (separate && name.size() >= 3 && name.size() <= 5 && all_alpha(name)) return minutes{0};
  return std::nullopt;
}

// "+0800", "+08:00", "+08", "-5", "+8:00".
std::optional<minutes> numeric_zone(std::string_view tok) {
  if (tok.size() < 2 || (tok[0] != '+' && tok[0] != '-')) return std::nullopt;
  const int sign = tok[0] == '-' ? -1 : 1;
  tok.remove_prefix(1);
  std::string_view hh = tok, mm;
  if (const auto colon = tok.find(':'); colon != std::string_view::npos) {
    hh = tok.substr(0, colon);
    mm = tok.substr(colon + 1);
    if (mm.size() != 2) return std::nullopt;
  } else if (tok.size() == 4) {
    hh = tok.substr(0, 2);
    mm = tok.substr(2);
  }
  if (hh.empty() || hh.size() > 2 || !all_digits(hh) || (!mm.empty() && !all_digits(mm))) {
    return std::nullopt;
  }
  int h = 0, m = 0;
  std::from_chars(hh.data(), hh.data() + hh.size(), h);
  if (!mm.empty()) std::from_chars(mm.data(), mm.data() + mm.size(), m);
  const minutes off{h * 60 + m};
  if (m >= 60 || off > kMaxOffset) return std::nullopt;
  return sign * off;
}

enum class ZoneRead { absent, found, bad };

// Removes a trailing zone designator from `s` (already folded) and stores its offset. A zone is
// only looked for after the time of day, so "2021-10-28" keeps its "-28".
ZoneRead take_zone(std::string& s, minutes& offset) {
  const auto colon = s.find(':');
  if (colon == std::string::npos) return ZoneRead::absent;
  const auto sign = s.find_last_of("+-");
  if (sign != std::string::npos && sign > colon) {
    const auto off = numeric_zone(s.substr(sign));
    if (!off) return ZoneRead::bad;
    offset = *off;
    s.erase(sign);
    trim(s);
    // "GMT+0800", "UTC-5": the offset is relative to the named zero.
    for (std::string_view zero : {"GMT", "UTC", "UT"}) {
      if (s.size() > zero.size() &&
          ascii_iequals(std::string_view(s).substr(s.size() - zero.size()), zero)) {
        s.erase(s.size() - zero.size());
        trim(s);
        break;
      }
    }
    return ZoneRead::found;
  }
  std::size_t start = s.size();
  while (start > colon && is_alpha(s[start - 1]))
    --start;
  if (start == s.size()) return ZoneRead::absent;
  const auto off = named_zone(std::string_view(s).substr(start), s[start - 1] == ' ');
  if (!off) return ZoneRead::bad;
  offset = *off;
  s.erase(start);
  trim(s);
  return ZoneRead::found;
}

// "Thu, 28 Oct 2021" / "Thursday 28 Oct" / "thu,28 oct": the weekday is dropped unchecked, since
// feeds often get it wrong and the date alone is what counts.
void drop_weekday(std::string& s) {
  std::size_t end = 0;
  while (end < s.size() && is_alpha(s[end]))
    ++end;
  if (end == 0) return;
  date::weekday wd;
  if (!parse_whole(s.substr(0, end), "%a", wd)) return;
  while (end < s.size() && (s[end] == ',' || s[end] == ' '))
    ++end;
  s.erase(0, end);
}

// RFC 2822 §4.3: two-digit years 00–49 are 20xx, 50–99 are 19xx; three-digit years add 1900.
// (date's %y uses the POSIX pivot 69 instead, hence the rewrite before parsing.)
void widen_year(std::string& s) {
  // Only the day-first form "28 Oct 21 …" carries short years in practice.
  const auto a = s.find(' ');
  if (a == std::string::npos || !all_digits(std::string_view(s).substr(0, a))) return;
  const auto b = s.find(' ', a + 1);
  if (b == std::string::npos) return;
  const auto c = std::min(s.find(' ', b + 1), s.size());
  const std::string year = s.substr(b + 1, c - b - 1);
  if (!all_digits(year) || year.size() < 2 || year.size() > 3) return;
  int y = 0;
  std::from_chars(year.data(), year.data() + year.size(), y);
  y += year.size() == 3 ? 1900 : (y < 50 ? 2000 : 1900);
  s.replace(b + 1, year.size(), std::to_string(y));
}

// Reads the zone-less part of an RFC 822-like or ISO-like date into a local time.
std::optional<date::local_seconds> read_local(std::string_view zoneless) {
  date::local_seconds t;
  const bool iso = zoneless.size() >= 4 && all_digits(zoneless.substr(0, 4)) &&
                   (zoneless.size() == 4 || zoneless[4] == '-' || zoneless[4] == '/');
  std::string s(zoneless);
  if (iso) {
    std::replace(s.begin(), s.end(), '/', '-');
    // Only digits and separators are left once the zone is gone: 'T' can only be the separator.
    std::replace_if(
        s.begin(), s.end(), [](char c) { return c == 'T' || c == 't'; }, ' ');
    s = fold_space(s);
    // %n, not a space: a space in a date format would also match nothing ("2021-10-2814:08").
    static constexpr const char* kIso[] = {"%Y-%m-%d%n%H:%M:%S", "%Y-%m-%d%n%H:%M", "%Y-%m-%d"};
    for (const char* fmt : kIso) {
      if (parse_whole(s, fmt, t)) return t;
    }
    // W3C-DTF reduced precision: YYYY-MM and YYYY mean the first day of that period.
    date::year_month ym;
    if (parse_whole(s, "%Y-%m", ym) && ym.ok()) return date::local_days{ym / 1};
    date::year y;
    if (s.size() == 4 && parse_whole(s, "%Y", y) && y.ok()) return date::local_days{y / 1 / 1};
    return std::nullopt;
  }
  drop_weekday(s);
  // "28-Oct-21" (RFC 850) and "Oct 28, 2021" read like their space-separated forms.
  const auto time_at = std::min(s.find(':'), s.size());
  for (std::size_t i = 0; i < time_at; ++i) {
    if (s[i] == '-' || s[i] == ',') s[i] = ' ';
  }
  s = fold_space(s);
  widen_year(s);
  static constexpr const char* kRfc[] = {
      "%d%n%b%n%Y%n%H:%M:%S", "%d%n%b%n%Y%n%H:%M", "%d%n%b%n%Y",
      "%b%n%d%n%Y%n%H:%M:%S", "%b%n%d%n%Y%n%H:%M", "%b%n%d%n%Y",  // JavaScript Date, "Oct 28, 2021"
      "%b%n%d%n%H:%M:%S%n%Y",                                     // asctime
  };
  for (const char* fmt : kRfc) {
    if (parse_whole(s, fmt, t)) return t;
  }
  return std::nullopt;
}

// Zones are looked up once per name: locate_zone walks the whole database. nullptr = unknown.
const date::time_zone* find_zone(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, const date::time_zone*, std::less<>> cache;
  std::lock_guard lock(mutex);
  if (const auto it = cache.find(name); it != cache.end()) return it->second;
  const date::time_zone* zone = nullptr;
  if (!name.empty() && name.size() <= 64) {
    try {
      zone = date::locate_zone(name);
    } catch (...) {
      zone = nullptr;  // unknown name or no readable tz database: the caller falls back to UTC
    }
  }
  if (cache.size() < kMaxCachedZones) cache.emplace(std::string(name), zone);
  return zone;
}

std::optional<sys_seconds> in_range(sys_seconds t) {
  const date::year_month_day ymd{date::floor<date::days>(t)};
  if (ymd.year() < date::year{kMinYear} || ymd.year() > date::year{kMaxYear}) return std::nullopt;
  return t;
}

std::optional<sys_seconds> from_timestamp(std::string_view digits) {
  long long n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  if (digits.size() == 10) return in_range(sys_seconds{std::chrono::seconds{n}});
  return in_range(date::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds{n}}));
}

std::optional<sys_seconds> parse_date_impl(std::string_view text, std::string_view timezone) {
  if (text.size() > kMaxInput) return std::nullopt;
  std::string s = fold_space(text);
  if (s.empty()) return std::nullopt;
  if (all_digits(s)) {
    if (s.size() == 10 || s.size() == 13) return from_timestamp(s);
    if (s.size() != 4) return std::nullopt;  // "2021" is a W3C-DTF year, read below
  }
  // A trailing RFC 2822 comment: "+0800 (CST)".
  if (s.back() == ')') {
    const auto open = s.rfind('(');
    if (open == std::string::npos) return std::nullopt;
    s.erase(open);
    trim(s);
  }
  // RFC 3339 fractions add nothing at one-second resolution; they are cut (truncating).
  for (std::size_t dot = 3; dot < s.size(); ++dot) {
    if ((s[dot] != '.' && s[dot] != ',') || s[dot - 3] != ':' || !is_digit(s[dot - 2]) ||
        !is_digit(s[dot - 1])) {
      continue;
    }
    auto end = dot + 1;
    while (end < s.size() && is_digit(s[end]))
      ++end;
    if (end == dot + 1) return std::nullopt;
    s.erase(dot, end - dot);
    break;
  }
  minutes offset{0};
  const ZoneRead zone = take_zone(s, offset);
  if (zone == ZoneRead::bad) return std::nullopt;
  const auto local = read_local(s);
  if (!local) return std::nullopt;
  if (zone == ZoneRead::found) return in_range(sys_seconds{local->time_since_epoch()} - offset);
  if (const auto* tz = find_zone(timezone)) {
    // In a DST gap or overlap there is no single answer; the earlier reading is as good as any.
    return in_range(tz->to_sys(*local, date::choose::earliest));
  }
  return in_range(sys_seconds{local->time_since_epoch()});
}

}  // namespace

std::optional<std::chrono::sys_seconds> parse_date(std::string_view text,
                                                   std::string_view timezone) {
  try {
    return parse_date_impl(text, timezone);
  } catch (...) {
    // The library reports through stream state, but allocation and tzdb loading can throw.
    return std::nullopt;
  }
}

}  // namespace feedd::parse
