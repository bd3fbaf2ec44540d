#include "lib/systemd/notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace feedd::lib {

void sd_notify_state(const std::string& state) {
  sd_notify(0, state.c_str());
}

std::string sd_reloading_state() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                    static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

void sd_notify_reloading() {
  sd_notify_state(sd_reloading_state());
}

std::optional<std::chrono::microseconds> sd_watchdog_period() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(static_cast<long long>(usec));
  }
  return std::nullopt;
}

}  // namespace feedd::lib
