#include "lib/curl/easy.hpp"

#include <sys/socket.h>

#include "lib/curl/address_guard.hpp"
#include "lib/curl/global.hpp"

namespace feedd::lib {
namespace {

curl_socket_t open_guarded(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<AddressGuard*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN || !guard->allow(&address->addr)) return CURL_SOCKET_BAD;
  // What libcurl would do itself, plus close-on-exec: hooks run as child processes.
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

}  // namespace

CurlEasy::CurlEasy() {
  curl_global_init_once();
  handle_ = curl_easy_init();
  if (handle_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

CurlEasy::~CurlEasy() {
  if (handle_ != nullptr) curl_easy_cleanup(handle_);
}

CurlEasy& CurlEasy::operator=(CurlEasy&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
    handle_ = other.handle_;
    other.handle_ = nullptr;
  }
  return *this;
}

void CurlEasy::check(CURLcode code, CURLoption option) {
  if (code != CURLE_OK) {
    throw std::runtime_error("curl_easy_setopt(" + std::to_string(static_cast<int>(option)) +
                             "): " + curl_easy_strerror(code));
  }
}

void CurlEasy::guard_addresses(AddressGuard* guard) {
  if (guard == nullptr) {
    set(CURLOPT_OPENSOCKETFUNCTION, static_cast<curl_opensocket_callback>(nullptr));
    set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(nullptr));
    return;
  }
  set(CURLOPT_OPENSOCKETFUNCTION, static_cast<curl_opensocket_callback>(&open_guarded));
  set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(guard));
  // "" (not unset) is libcurl's way to ignore http_proxy and friends from the environment.
  set(CURLOPT_PROXY, "");
}

std::optional<std::string> CurlEasy::header(const char* name) const {
  curl_header* h = nullptr;
  // request -1: the last request of the transfer, so the final response after redirects.
  if (curl_easy_header(handle_, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == nullptr) {
    return std::nullopt;
  }
  const size_t amount = h->amount;
  std::string joined = h->value ? h->value : "";
  for (size_t i = 1; i < amount; ++i) {
    if (curl_easy_header(handle_, name, i, CURLH_HEADER, -1, &h) != CURLHE_OK) break;
    joined += ", ";
    joined += h->value ? h->value : "";
  }
  return joined;
}

}  // namespace feedd::lib
