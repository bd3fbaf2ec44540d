#pragma once
// SHA-256 through OpenSSL's libcrypto (EVP). Thread-safe; throws std::runtime_error only if
// libcrypto itself fails (out of memory, no default provider).
#include <initializer_list>
#include <string>
#include <string_view>

namespace feedd::lib {

// Lower-case hex digest of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// Lower-case hex digest of the concatenation of `parts`, without building it.
std::string sha256_hex(std::initializer_list<std::string_view> parts);

}  // namespace feedd::lib
