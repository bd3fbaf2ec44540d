#include "lib/curl/global.hpp"

#include <curl/curl.h>

#include <stdexcept>
#include <string>

namespace feedd::lib {

void curl_global_init_once() {
  // A function-local static is initialised once even with concurrent callers.
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(code));
  }
}

}  // namespace feedd::lib
