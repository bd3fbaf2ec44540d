#pragma once
// Owning wrapper of a curl_slist (e.g. request headers for CURLOPT_HTTPHEADER).
#include <curl/curl.h>

#include <string>

namespace feedd::lib {

// Move-only. Not thread-safe. The list must outlive every transfer it was given to:
// libcurl keeps the pointer, not a copy.
class CurlSlist {
 public:
  CurlSlist() = default;
  ~CurlSlist() { curl_slist_free_all(head_); }
  CurlSlist(CurlSlist&& other) noexcept : head_(other.head_) { other.head_ = nullptr; }
  CurlSlist& operator=(CurlSlist&& other) noexcept;
  CurlSlist(const CurlSlist&) = delete;
  CurlSlist& operator=(const CurlSlist&) = delete;

  // Appends a copy of `value`. Throws std::bad_alloc when libcurl cannot allocate.
  void append(const std::string& value);

  // nullptr while empty, which is what libcurl expects for "no list".
  curl_slist* get() const noexcept { return head_; }
  bool empty() const noexcept { return head_ == nullptr; }

 private:
  curl_slist* head_ = nullptr;
};

}  // namespace feedd::lib
