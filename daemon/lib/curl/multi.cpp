#include "lib/curl/multi.hpp"

#include <string>

#include "lib/curl/global.hpp"

namespace feedd::lib {

CurlMulti::CurlMulti() {
  curl_global_init_once();
  handle_ = curl_multi_init();
  if (handle_ == nullptr) throw std::runtime_error("curl_multi_init failed");
}

CurlMulti::~CurlMulti() {
  if (handle_ != nullptr) curl_multi_cleanup(handle_);
}

CurlMulti& CurlMulti::operator=(CurlMulti&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) curl_multi_cleanup(handle_);
    handle_ = other.handle_;
    other.handle_ = nullptr;
  }
  return *this;
}

void CurlMulti::check(CURLMcode code, const char* what) {
  if (code != CURLM_OK) {
    throw std::runtime_error(std::string("curl multi ") + what + ": " + curl_multi_strerror(code));
  }
}

int CurlMulti::perform() {
  int running = 0;
  check(curl_multi_perform(handle_, &running), "perform");
  return running;
}

void CurlMulti::poll(std::chrono::milliseconds timeout) {
  check(curl_multi_poll(handle_, nullptr, 0, static_cast<int>(timeout.count()), nullptr), "poll");
}

CURLMsg* CurlMulti::info_read() {
  int left = 0;
  return curl_multi_info_read(handle_, &left);
}

}  // namespace feedd::lib
