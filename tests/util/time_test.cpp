#include "util/time.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <locale>
#include <string>
#include <vector>

namespace feedd {
namespace {

using namespace std::chrono;

SysTime at(year_month_day d, hours h = hours{0}, minutes m = minutes{0}, seconds s = seconds{0}) {
  return sys_days{d} + h + m + s;
}

struct Case {
  SysTime t;
  std::string_view rfc822;
  std::string_view rfc3339;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {at(2021y / May / 21, 14h), "Fri, 21 May 2021 14:00:00 GMT", "2021-05-21T14:00:00Z"},
      {at(2021y / May / 19, 22h, 3min, 11s), "Wed, 19 May 2021 22:03:11 GMT",
       "2021-05-19T22:03:11Z"},
      {SysTime{}, "Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00Z"},
      {at(2021y / March / 1, 9h, 5min, 7s), "Mon, 01 Mar 2021 09:05:07 GMT",
       "2021-03-01T09:05:07Z"},  // zero padding everywhere
      {at(2020y / February / 29, 23h, 59min, 59s), "Sat, 29 Feb 2020 23:59:59 GMT",
       "2020-02-29T23:59:59Z"},
      {at(2038y / January / 19, 3h, 14min, 8s), "Tue, 19 Jan 2038 03:14:08 GMT",
       "2038-01-19T03:14:08Z"},  // past 32-bit time_t
      {at(2199y / December / 31, 12h), "Tue, 31 Dec 2199 12:00:00 GMT", "2199-12-31T12:00:00Z"},
  };
  return c;
}

TEST(FormatTime, Rfc822Gmt) {
  for (const auto& c : cases())
    EXPECT_EQ(format_rfc822_gmt(c.t), c.rfc822);
}

TEST(FormatTime, Rfc3339Utc) {
  for (const auto& c : cases())
    EXPECT_EQ(format_rfc3339(c.t), c.rfc3339);
}

TEST(FormatTime, EveryWeekdayAndMonthName) {
  const std::vector<std::string_view> days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const std::vector<std::string_view> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // 2023-01-01 is a Sunday; the first of each month walks through every month name.
  for (unsigned i = 0; i < 7; ++i) {
    const auto s = format_rfc822_gmt(at(2023y / January / day{1 + i}));
    EXPECT_EQ(s.substr(0, 3), days[i]) << s;
  }
  for (unsigned i = 0; i < 12; ++i) {
    const auto s = format_rfc822_gmt(at(2023y / month{1 + i} / 1d));
    EXPECT_EQ(s.substr(8, 3), months[i]) << s;
  }
}

// A time_put facet that writes German names, standing in for a de_DE global locale (the test
// machine may have no locales installed).
class GermanNames : public std::time_put<char> {
 protected:
  iter_type do_put(iter_type out, std::ios_base& io, char fill, const std::tm* t, char format,
                   char modifier) const override {
    static constexpr const char* kDays[] = {"So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mär", "Apr", "Mai", "Jun",
                                              "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"};
    const char* name = format == 'a'   ? kDays[t->tm_wday]
                       : format == 'b' ? kMonths[t->tm_mon]
                                       : nullptr;
    if (!name) return std::time_put<char>::do_put(out, io, fill, t, format, modifier);
    for (; *name; ++name)
      *out++ = *name;
    return out;
  }
};

class GlobalLocale {
 public:
  explicit GlobalLocale(const std::locale& l) : old_(std::locale::global(l)) {}
  ~GlobalLocale() { std::locale::global(old_); }

 private:
  std::locale old_;
};

// Front-matter and HTTP dates must stay English whatever locale the process installs. That holds
// because date::date is built with ONLY_C_LOCALE=1; without it date::format takes its names from
// the global locale and this test sees "Fr, 21 Mai 2021".
TEST(FormatTime, GlobalLocaleDoesNotTranslateDayAndMonthNames) {
  const GlobalLocale german(std::locale(std::locale::classic(), new GermanNames));
  const SysTime t = at(2021y / May / 21, 14h);
  EXPECT_EQ(format_rfc822_gmt(t), "Fri, 21 May 2021 14:00:00 GMT");
  EXPECT_EQ(format_rfc3339(t), "2021-05-21T14:00:00Z");
}

TEST(NowSeconds, IsTheSystemClockAtSecondPrecision) {
  const auto before = floor<seconds>(system_clock::now());
  const SysTime now = now_seconds();
  const auto after = floor<seconds>(system_clock::now());
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace feedd
