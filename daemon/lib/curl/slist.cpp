#include "lib/curl/slist.hpp"

#include <new>

namespace feedd::lib {

CurlSlist& CurlSlist::operator=(CurlSlist&& other) noexcept {
  if (this != &other) {
    curl_slist_free_all(head_);
    head_ = other.head_;
    other.head_ = nullptr;
  }
  return *this;
}

void CurlSlist::append(const std::string& value) {
  curl_slist* head = curl_slist_append(head_, value.c_str());
  // On failure curl_slist_append leaves the old list untouched and returns NULL.
  if (head == nullptr) throw std::bad_alloc();
  head_ = head;
}

}  // namespace feedd::lib
