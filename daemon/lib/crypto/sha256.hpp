#pragma once
// SHA-256 through OpenSSL's libcrypto (EVP). Thread-safe; throws std::runtime_error only if
// libcrypto itself fails (out of memory).
#include <string>
#include <string_view>

namespace feedd::lib {

// Lower-case hex digest of `data` (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace feedd::lib
