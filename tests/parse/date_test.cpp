#include "parse/date.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "util/time.hpp"

namespace feedd::parse {
namespace {

struct Case {
  std::string_view input;
  const char* want;  // RFC 3339 UTC; nullptr = must be rejected
  std::string_view timezone = "Asia/Shanghai";
};

std::string show(const std::optional<std::chrono::sys_seconds>& t) {
  return t ? format_rfc3339(*t) : "nullopt";
}

void run(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "input \"" << c.input << "\" in " << c.timezone);
    EXPECT_EQ(show(parse_date(c.input, c.timezone)), c.want ? c.want : "nullopt");
  }
}

TEST(ParseDate, Rfc822AsFeedsWriteIt) {
  run({
      {"Fri, 21 May 2021 14:00:00 GMT", "2021-05-21T14:00:00Z"},
      {"Wed, 19 May 2021 22:03:11 +0800", "2021-05-19T14:03:11Z"},
      {"Thu, 28 Oct 2021 14:08:07 +08:00", "2021-10-28T06:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 -0430", "2021-10-28T18:38:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 +0000", "2021-10-28T14:08:07Z"},
      {"Mon, 01 Mar 2021 02:00:00 +0800", "2021-02-28T18:00:00Z"},  // crosses back a month
      {"Sat, 29 Feb 2020 12:00:00 GMT", "2020-02-29T12:00:00Z"},
      {"Fri, 31 Dec 2021 23:59:59 -0100", "2022-01-01T00:59:59Z"},  // forward a year
  });
}

TEST(ParseDate, Rfc822Variants) {
  run({
      {"28 Oct 2021 14:08:07 GMT", "2021-10-28T14:08:07Z"},                // no weekday
      {"Thu, 28 Oct 2021 14:08 GMT", "2021-10-28T14:08:00Z"},              // no seconds
      {"Fri, 1 Oct 2021 08:00:00 GMT", "2021-10-01T08:00:00Z"},            // 1-digit day
      {"Thu, 28 Oct 21 14:08:07 GMT", "2021-10-28T14:08:07Z"},             // 2-digit year, 20xx
      {"Wed, 28 Oct 49 14:08:07 GMT", "2049-10-28T14:08:07Z"},             // last 20xx year
      {"Fri, 01 Jan 99 00:00:00 GMT", "1999-01-01T00:00:00Z"},             // 2-digit year, 19xx
      {"Thu, 01 Jan 70 00:00:00 GMT", "1970-01-01T00:00:00Z"},             // 50–99 is 19xx
      {"Thu, 28 Oct 121 14:08:07 GMT", "2021-10-28T14:08:07Z"},            // RFC 2822 3-digit year
      {"Thursday, 28 October 2021 14:08:07 GMT", "2021-10-28T14:08:07Z"},  // full names
      {"thu, 28 oct 2021 14:08:07 gmt", "2021-10-28T14:08:07Z"},           // lower case
      {"THU, 28 OCT 2021 14:08:07 GMT", "2021-10-28T14:08:07Z"},           // upper case
      {"Mon, 28 Oct 2021 14:08:07 GMT", "2021-10-28T14:08:07Z"},           // wrong weekday, ignored
      {"Thu,28 Oct 2021 14:08:07 GMT", "2021-10-28T14:08:07Z"},            // no space after comma
      {"  Thu,  28   Oct 2021\t14:08:07 \r\n +0800 ", "2021-10-28T06:08:07Z"},
      {"Thu,\xC2\xA0"
       "28 Oct 2021\xE3\x80\x80"
       "14:08:07 GMT",
       "2021-10-28T14:08:07Z"},                                           // NBSP, U+3000
      {"Thu, 28 Oct 2021 14:08:07 +0800 (CST)", "2021-10-28T06:08:07Z"},  // RFC 2822 comment
      {"Thu, 28 Oct 2021 14:08:07 GMT+8", "2021-10-28T06:08:07Z"},
      {"Thu Oct 28 2021 14:08:07 GMT+0800 (China Standard Time)", "2021-10-28T06:08:07Z"},  // JS
      {"Thursday, 28-Oct-21 14:08:07 GMT", "2021-10-28T14:08:07Z"},  // RFC 850
      {"Thu Oct 28 14:08:07 2021", "2021-10-28T06:08:07Z"},          // asctime, local
      {"October 28, 2021", "2021-10-27T16:00:00Z"},                  // date only, local
  });
}

TEST(ParseDate, Rfc822NamedZones) {
  run({
      {"Thu, 28 Oct 2021 14:08:07 UT", "2021-10-28T14:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 UTC", "2021-10-28T14:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 Z", "2021-10-28T14:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 EST", "2021-10-28T19:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 EDT", "2021-10-28T18:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 CST", "2021-10-28T20:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 CDT", "2021-10-28T19:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 MST", "2021-10-28T21:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 MDT", "2021-10-28T20:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 PST", "2021-10-28T22:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 pdt", "2021-10-28T21:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 CEST", "2021-10-28T12:08:07Z"},
      // Military letters are read as UTC (RFC 2822 §4.3), whatever RFC 822 said.
      {"Thu, 28 Oct 2021 14:08:07 A", "2021-10-28T14:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 n", "2021-10-28T14:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 Y", "2021-10-28T14:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 J", nullptr},  // J is not a zone
      // Unknown 3–5 letter zones are "-0000" (RFC 2822 §4.3); longer words are not zones.
      {"Thu, 28 Oct 2021 14:08:07 XYZ", "2021-10-28T14:08:07Z"},
      {"Thu, 28 Oct 2021 14:08:07 Europe", nullptr},
      // A zone-less date is read in the given timezone.
      {"Thu, 28 Oct 2021 14:08:07", "2021-10-28T06:08:07Z"},
  });
}

TEST(ParseDate, Rfc3339AndW3cDtf) {
  run({
      {"2021-10-28T14:08:07Z", "2021-10-28T14:08:07Z"},
      {"2021-10-28T14:08:07+08:00", "2021-10-28T06:08:07Z"},
      {"2021-10-28T14:08:07-05:00", "2021-10-28T19:08:07Z"},
      {"2021-10-28T14:08:07+0800", "2021-10-28T06:08:07Z"},
      {"2021-10-28T14:08:07+05:45", "2021-10-28T08:23:07Z"},
      {"2021-10-28T14:08:07 +08:00", "2021-10-28T06:08:07Z"},
      {"2021-10-28T14:08:07.123456+08:00", "2021-10-28T06:08:07Z"},
      {"2021-10-28T14:08:07.999Z", "2021-10-28T14:08:07Z"},  // fractions truncate
      {"2021-10-28T14:08:07,5Z", "2021-10-28T14:08:07Z"},
      {"2021-10-28T14:08Z", "2021-10-28T14:08:00Z"},
      {"2021-10-28T14:08+08:00", "2021-10-28T06:08:00Z"},
      {"2021-10-28t14:08:07z", "2021-10-28T14:08:07Z"},
      {"2021-10-28 14:08:07Z", "2021-10-28T14:08:07Z"},
      {"2021-10-28T 14:08:07Z", "2021-10-28T14:08:07Z"},
      {"2021-10-28 14:08:07 UTC", "2021-10-28T14:08:07Z"},
      {"2021-10-28T14:08:07", "2021-10-28T06:08:07Z"},  // no zone: Asia/Shanghai
      {"2021-10-28 14:08:07", "2021-10-28T06:08:07Z"},
      {"2021/10/28 14:08", "2021-10-28T06:08:00Z"},
      {"2021/10/28 14:08:07", "2021-10-28T06:08:07Z"},
      {"2021-10-28", "2021-10-27T16:00:00Z"},  // local midnight
      {"2021-10", "2021-09-30T16:00:00Z"},
      {"2021", "2020-12-31T16:00:00Z"},
      {"2020-02-29T00:00:00Z", "2020-02-29T00:00:00Z"},
      {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
      {"2200-12-31T23:59:59Z", "2200-12-31T23:59:59Z"},
  });
}

TEST(ParseDate, UnixTimestamps) {
  run({
      {"1635401287", "2021-10-28T06:08:07Z"},
      {"1635401287123", "2021-10-28T06:08:07Z"},
      {" 1635401287 ", "2021-10-28T06:08:07Z"},
      {"1635401287", "2021-10-28T06:08:07Z", "America/New_York"},  // a timestamp has no zone
      {"9999999999", nullptr},                                     // year 2286
      {"163540128", nullptr},                                      // 9 digits
      {"16354012871", nullptr},                                    // 11 digits
      {"163540128712", nullptr},                                   // 12 digits
  });
}

TEST(ParseDate, ZoneLessReadsInTimezoneIncludingDst) {
  run({
      {"2021-07-01 12:00:00", "2021-07-01T16:00:00Z", "America/New_York"},  // EDT
      {"2021-01-15 12:00:00", "2021-01-15T17:00:00Z", "America/New_York"},  // EST
      {"Thu, 01 Jul 2021 12:00:00", "2021-07-01T16:00:00Z", "America/New_York"},
      // 01:30 happens twice on 7 Nov 2021: the earlier (EDT) reading wins.
      {"2021-11-07 01:30:00", "2021-11-07T05:30:00Z", "America/New_York"},
      // 02:30 never happens on 14 Mar 2021: it maps to the moment the clocks jumped.
      {"2021-03-14 02:30:00", "2021-03-14T07:00:00Z", "America/New_York"},
      {"2021-07-01T12:00:00Z", "2021-07-01T12:00:00Z", "America/New_York"},  // zone wins
      {"2021-07-01 12:00:00", "2021-07-01T04:00:00Z", "Asia/Shanghai"},
      {"2021-07-01 12:00:00", "2021-07-01T12:00:00Z", "UTC"},
      {"2021-07-01 12:00:00", "2021-07-01T12:00:00Z", "Mars/Olympus_Mons"},  // unknown: UTC
      {"2021-07-01 12:00:00", "2021-07-01T12:00:00Z", ""},
  });
}

TEST(ParseDate, RejectsGarbageAndImpossibleDates) {
  run({
      {"", nullptr},
      {"   ", nullptr},
      {"not a date", nullptr},
      {"yesterday", nullptr},
      {"12345", nullptr},
      {"Thu, 30 Feb 2021 10:00:00 GMT", nullptr},
      {"Thu, 29 Feb 2021 10:00:00 GMT", nullptr},  // 2021 is no leap year
      {"Thu, 32 Oct 2021 14:08:07 GMT", nullptr},
      {"Thu, 28 Foo 2021 14:08:07 GMT", nullptr},
      {"Thu, 28 Oct 2021 25:08:07 GMT", nullptr},
      {"Thu, 28 Oct 2021 14:61:07 GMT", nullptr},
      {"Thu, 28 Oct 2021 14:08:07 +0800 trailing", nullptr},
      {"Thu, 28 Oct 2021 14:08:07 +2500", nullptr},
      {"Thu, 28 Oct 2021 14:08:07 +0870", nullptr},
      {"Thu, 28 Oct 2021 14:08:07 (unclosed", nullptr},
      {"28 Oct", nullptr},
      {"2021-02-30", nullptr},
      {"2021-13-01", nullptr},
      {"2021-00", nullptr},
      {"2021-10-28T24:00:01Z", nullptr},
      {"2021-10-28T14:08:07.Z", nullptr},
      {"2021-10-28T14:08:07Zjunk", nullptr},
      {"2021-10-28T14:08:07+25:00", nullptr},
      {"2021-10-28T14:08:07+08:0", nullptr},
      {"20211-10-28T14:08:07Z", nullptr},
      {"2021-10-2814:08:07", nullptr},  // fields must be separated
      {"28Oct2021 14:08:07 GMT", nullptr},
      {"\xFF\xFE\x00\x01", nullptr},
      {std::string_view("2021-10-28\0T14:08:07Z", 21), nullptr},
  });
}

TEST(ParseDate, RejectsAbsurdYears) {
  run({
      {"Tue, 28 Oct 1969 14:08:07 GMT", nullptr},
      {"1969-12-31T23:59:59Z", nullptr},
      {"1900-01-01T00:00:00Z", nullptr},
      {"0001-01-01T00:00:00Z", nullptr},
      {"2201-01-01T00:00:00Z", nullptr},
      {"9999-12-31T23:59:59Z", nullptr},
      {"Thu, 28 Oct 3021 14:08:07 GMT", nullptr},
  });
}

TEST(ParseDate, InputsOver128BytesAreRejected) {
  const std::string date = "2021-10-28T14:08:07Z";
  const std::string fits = date + std::string(128 - date.size(), ' ');
  const std::string over = fits + " ";
  EXPECT_EQ(show(parse_date(fits)), "2021-10-28T14:08:07Z");
  EXPECT_EQ(show(parse_date(over)), "nullopt");
}

// Found by fuzz_article_file: "01:02: 03" made date::from_stream convert an uninitialised
// long double (NaN) to seconds, undefined behaviour that UBSan reports (make test-asan).
TEST(ParseDate, SecondsThatAreNotANumberAreRejectedWithoutUndefinedBehaviour) {
  std::ifstream file(FEEDD_TEST_DATA "/parse/regress/date_seconds_not_a_number.txt");
  const std::string fixture((std::istreambuf_iterator<char>(file)), {});
  ASSERT_FALSE(fixture.empty());
  run({
      {fixture, nullptr},
      {"Sat, 05 Jun 2021 01:02:", nullptr},
      {"Sat, 05 Jun 2021 01:02:x GMT", nullptr},
      {"Jun 05 2021 01:02: 03", nullptr},
      {"Sat Jun 05 01:02: 03 2021", nullptr},
      {"2021-06-05T01:02: 03Z", nullptr},
      {"2021-06-05 01:02:", nullptr},
      {"Sat, 05 Jun 2021 01:02:03 GMT", "2021-06-05T01:02:03Z"},
  });
}

// The zone cache is shared; concurrent first lookups must agree with single-threaded ones.
TEST(ParseDate, ConcurrentCallsAgree) {
  const std::vector<std::string_view> zones = {"Europe/Berlin", "America/Chicago",
                                               "Australia/Sydney", "Nowhere/Zone"};
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      std::string out;
      for (int n = 0; n < 50; ++n)
        out = show(parse_date("2021-07-01 12:00:00", zones[i % 4]));
      got[i] = out;
    });
  }
  for (auto& t : threads)
    t.join();
  const std::vector<std::string> want = {"2021-07-01T10:00:00Z", "2021-07-01T17:00:00Z",
                                         "2021-07-01T02:00:00Z", "2021-07-01T12:00:00Z"};
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(got[i], want[i % 4]) << zones[i % 4];
}

}  // namespace
}  // namespace feedd::parse
