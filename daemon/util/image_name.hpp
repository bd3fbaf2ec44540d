#pragma once
// The names of downloaded images (`images: download`): image/store.hpp writes them, the
// article stage recognises them in a site path (`image_base: /images/`). One rule for both.
#include <string_view>

namespace feedd {

// True for exactly "<32 lower-case hex digits>.<jpg|png|gif|webp|avif>". No path can pass
// ('/', "..", anything else is refused). Pure.
constexpr bool is_image_file_name(std::string_view name) {
  constexpr std::size_t kHashDigits = 32;
  if (name.size() < kHashDigits + 2 || name[kHashDigits] != '.') return false;
  for (std::size_t i = 0; i < kHashDigits; ++i) {
    const char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  const std::string_view ext = name.substr(kHashDigits + 1);
  return ext == "jpg" || ext == "png" || ext == "gif" || ext == "webp" || ext == "avif";
}

}  // namespace feedd
