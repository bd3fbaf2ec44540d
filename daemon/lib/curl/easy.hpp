#pragma once
// Owning wrapper of a libcurl easy handle (CURL*).
#include <curl/curl.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace feedd::lib {

class AddressGuard;

// Move-only. Not thread-safe: one thread uses a handle at a time (libcurl's own rule).
// Destroying a handle that is still attached to a CurlMulti is allowed (libcurl detaches it),
// but callers should remove it first so the multi's bookkeeping stays obvious.
class CurlEasy {
 public:
  // Initialises libcurl globally if needed. Throws std::runtime_error on failure.
  CurlEasy();
  ~CurlEasy();
  CurlEasy(CurlEasy&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  CurlEasy& operator=(CurlEasy&& other) noexcept;
  CurlEasy(const CurlEasy&) = delete;
  CurlEasy& operator=(const CurlEasy&) = delete;

  CURL* get() const noexcept { return handle_; }

  // curl_easy_setopt. Pass exactly the type the option documents (long, curl_off_t, a pointer,
  // a function pointer): the C varargs interface does no conversion. String options are copied
  // by libcurl (except the few documented otherwise, which we do not use).
  // Throws std::runtime_error naming the option when libcurl rejects it.
  template <typename T>
  void set(CURLoption option, T value) {
    check(curl_easy_setopt(handle_, option, value), option);
  }
  void set(CURLoption option, const std::string& value) { set(option, value.c_str()); }

  // curl_easy_getinfo into a T of the documented type. Throws std::runtime_error on failure.
  template <typename T>
  T info(CURLINFO what) const {
    T value{};
    const CURLcode code = curl_easy_getinfo(handle_, what, &value);
    if (code != CURLE_OK) {
      throw std::runtime_error(std::string("curl_easy_getinfo: ") + curl_easy_strerror(code));
    }
    return value;
  }

  // curl_easy_perform: runs the transfer set up on this handle, blocking. The result code;
  // never throws.
  CURLcode perform() noexcept { return curl_easy_perform(handle_); }

  // Every value of response header `name` (case-insensitive) in the last response of the
  // last request (i.e. after redirects), joined with ", " as RFC 9110 allows for lists.
  // nullopt when the header is absent or there was no HTTP response (e.g. file://).
  // Only valid once headers have arrived; never throws except std::bad_alloc.
  std::optional<std::string> header(const char* name) const;

  // Opens every connection of this handle through `guard` (CURLOPT_OPENSOCKETFUNCTION), so
  // that each hop's resolved address is checked, and turns off proxies from the environment
  // (through a proxy, the address checked would be the proxy's). A refused connection ends the
  // transfer with CURLE_COULDNT_CONNECT and guard->refused() says why. `guard` is not owned
  // and must outlive the transfers; nullptr removes it. Throws like set().
  void guard_addresses(AddressGuard* guard);

 private:
  static void check(CURLcode code, CURLoption option);
  CURL* handle_;
};

}  // namespace feedd::lib
