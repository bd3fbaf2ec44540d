#include "fetch/http_headers.hpp"

#include <gtest/gtest.h>

#include <date/date.h>

namespace feedd::fetch {
namespace {

using std::chrono::seconds;

// 2021-05-21 14:00:00 UTC
const std::chrono::sys_seconds kNow =
    date::sys_days{date::year{2021} / 5 / 21} + std::chrono::hours{14};

TEST(ParseRetryAfter, Table) {
  struct Case {
    const char* value;
    std::optional<seconds> want;
  };
  const std::vector<Case> cases = {
      {"120", seconds{120}},
      {"  0 ", seconds{0}},
      {"Fri, 21 May 2021 14:05:00 GMT", seconds{300}},  // IMF-fixdate
      {"Friday, 21-May-21 14:00:30 GMT", seconds{30}},  // RFC 850
      {"Fri May 21 14:01:00 2021", seconds{60}},        // asctime
      {"Fri, 21 May 2021 13:00:00 GMT", seconds{0}},    // in the past
      {"99999999999999999999", kMaxServerDelay},        // saturates, no overflow
      {"Sun, 21 May 2023 14:00:00 GMT", kMaxServerDelay},
      {"", std::nullopt},
      {"soon", std::nullopt},
      {"-5", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_retry_after(c.value, kNow), c.want) << c.value;
  }
}

TEST(ParseMaxAge, Table) {
  struct Case {
    const char* value;
    std::optional<seconds> want;
  };
  const std::vector<Case> cases = {
      {"max-age=600", seconds{600}},
      {"public, max-age=60, must-revalidate", seconds{60}},
      {"Max-Age = 30", seconds{30}},
      {"max-age=\"45\"", seconds{45}},
      {"max-age=10, max-age=20", seconds{10}},
      {"s-maxage=100", std::nullopt},
      {"no-cache", std::nullopt},
      {"max-age=abc", std::nullopt},
      {"max-age=", std::nullopt},
      {"max-age=99999999999", kMaxServerDelay},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_max_age(c.value), c.want) << c.value;
  }
}

TEST(StatusLineReason, Table) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"HTTP/1.1 404 Not Found\r\n", "Not Found"},
      {"HTTP/1.0 200 OK", "OK"},
      {"HTTP/2 200 \r\n", ""},
      {"HTTP/2 200", ""},
      {"HTTP/1.1 500 Bad\x01thing\r\n", "Bad?thing"},
  };
  for (const auto& [line, want] : cases)
    EXPECT_EQ(status_line_reason(line), want) << line;
}

TEST(DescribeStatus, UsesPhraseThenStandardThenNumber) {
  EXPECT_EQ(describe_status(404, "Not Found"), "HTTP 404 Not Found");
  EXPECT_EQ(describe_status(404, "Nope"), "HTTP 404 Nope");
  EXPECT_EQ(describe_status(503, ""), "HTTP 503 Service Unavailable");
  EXPECT_EQ(describe_status(599, ""), "HTTP 599");
}

TEST(DescribeSize, Table) {
  EXPECT_EQ(describe_size(16u << 20), "16 MiB");
  EXPECT_EQ(describe_size(512u << 10), "512 KiB");
  EXPECT_EQ(describe_size(1000), "1000 bytes");
  EXPECT_EQ(describe_size(1), "1 byte");
  EXPECT_EQ(describe_size((1u << 20) + 1), "1048577 bytes");
}

TEST(IsSafeHeaderValue, RejectsControlBytesAndHugeValues) {
  EXPECT_TRUE(is_safe_header_value("\"abc\""));
  EXPECT_TRUE(is_safe_header_value("W/\"x\"\tmore"));
  EXPECT_FALSE(is_safe_header_value("\"a\"\r\nX-Evil: 1"));
  EXPECT_FALSE(is_safe_header_value(std::string("a\0b", 3)));
  EXPECT_FALSE(is_safe_header_value(std::string(2000, 'a')));
}

}  // namespace
}  // namespace feedd::fetch
