// parse::parse_date on arbitrary text in a few zones (a byte of the input picks one).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parse/date.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The zone is taken from the last byte so the seeds (plain dates) stay readable as they are.
  static constexpr std::array<std::string_view, 5> kZones = {
      "Asia/Shanghai", "UTC", "America/St_Johns", "Pacific/Kiritimati", "No/Such_Zone"};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view zone = size == 0 ? kZones[0] : kZones[data[size - 1] % kZones.size()];
  (void)feedd::parse::parse_date(text, zone);
  return 0;
}
