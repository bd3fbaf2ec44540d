#include "app/thread_check.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace feedd::app {

void wrong_thread(const char* what, const char* owner) {
  spdlog::critical("{} called outside the {} thread", what, owner);
  std::abort();
}

}  // namespace feedd::app
