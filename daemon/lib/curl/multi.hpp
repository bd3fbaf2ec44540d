#pragma once
// Owning wrapper of a libcurl multi handle (CURLM*).
#include <curl/curl.h>

#include <chrono>
#include <stdexcept>

#include "lib/curl/easy.hpp"

namespace feedd::lib {

// Move-only. Not thread-safe: drive it from one thread. It keeps the connection cache, so
// reusing one multi across fetch cycles reuses keep-alive connections.
// Every easy handle added must be removed (or destroyed) before the multi is destroyed.
class CurlMulti {
 public:
  // Initialises libcurl globally if needed. Throws std::runtime_error on failure.
  CurlMulti();
  ~CurlMulti();
  CurlMulti(CurlMulti&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  CurlMulti& operator=(CurlMulti&& other) noexcept;
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  CURLM* get() const noexcept { return handle_; }

  // curl_multi_setopt; pass the documented type (long for the limits). Throws on rejection.
  template <typename T>
  void set(CURLMoption option, T value) {
    check(curl_multi_setopt(handle_, option, value), "curl_multi_setopt");
  }

  // The multi does not own `easy`; it must stay alive until removed. Throw std::runtime_error.
  void add(CurlEasy& easy) { check(curl_multi_add_handle(handle_, easy.get()), "add_handle"); }
  void remove(CurlEasy& easy) {
    check(curl_multi_remove_handle(handle_, easy.get()), "remove_handle");
  }

  // Drives every transfer as far as it can go without blocking; returns how many are still
  // running. Throws std::runtime_error on a multi-level error (not per-transfer failures).
  int perform();

  // Waits until there is activity or `timeout` passes (libcurl shortens it to its own
  // timers). Throws std::runtime_error on failure.
  void poll(std::chrono::milliseconds timeout);

  // Next queued message (CURLMSG_DONE ...), or nullptr. The pointer is valid until the next
  // call on this multi or until the easy handle it names is removed.
  CURLMsg* info_read();

 private:
  static void check(CURLMcode code, const char* what);
  CURLM* handle_;
};

}  // namespace feedd::lib
