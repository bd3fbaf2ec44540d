// parse::parse_feed on arbitrary bytes: no crash, no UB, no leak, and the documented bounds hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "parse/feed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  feedd::parse::Options options;
  options.base_url = "https://feeds.example.com/a/feed.xml";
  // Small bounds so inputs of a few KB reach the cutting and dropping code.
  options.max_items = 64;
  options.max_field = 512;
  const auto result = feedd::parse::parse_feed(body, options);
  if (!result.feed) {
    FUZZ_CHECK(!result.error.empty(), "a failed parse says why");
    return 0;
  }
  const auto& feed = *result.feed;
  FUZZ_CHECK(feed.items.size() <= options.max_items, "max_items");
  for (const auto& item : feed.items) {
    FUZZ_CHECK(item.title.size() <= options.max_field, "title within max_field");
    FUZZ_CHECK(item.link.size() <= options.max_field, "link within max_field");
    FUZZ_CHECK(item.html.size() <= options.max_field, "body within max_field");
  }
  return 0;
}
