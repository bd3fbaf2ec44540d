#pragma once
// HMAC-SHA256, random bytes and a constant-time compare through OpenSSL's libcrypto.
// Thread-safe; throws std::runtime_error only if libcrypto itself fails.
#include <cstddef>
#include <string>
#include <string_view>

namespace feedd::lib {

// The 32 raw bytes of HMAC-SHA256(key, data).
std::string hmac_sha256(std::string_view key, std::string_view data);

// `n` bytes from the CSPRNG (RAND_bytes); throws when it is not seeded.
std::string random_bytes(std::size_t n);

// True when `a` and `b` are equal; for equal sizes, in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace feedd::lib
