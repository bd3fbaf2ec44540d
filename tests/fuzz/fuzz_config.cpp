// config::parse_config on arbitrary text: no crash, no UB, no leak, never throws, and a result
// is either a Config or at least one error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = feedd::config::parse_config(text, "/srv/feedd/feeds.yaml");
  FUZZ_CHECK(result.config.has_value() == result.errors.empty(), "config iff no errors");
  return 0;
}
