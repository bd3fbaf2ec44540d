#include "lib/crypto/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace feedd::lib {

namespace {

// OpenSSL 3 looks a digest up in its providers (under a lock) each time EVP_sha256() is passed
// to an init; fetched once, the implementation is reused. Never freed: it lives as long as the
// process, as libcrypto's own tables do.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw std::runtime_error("libcrypto: no SHA-256 implementation");
  return md;
}

using Context = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// One context per thread, reset by each init: saves an allocation per digest.
EVP_MD_CTX* thread_context() {
  thread_local Context ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) throw std::runtime_error("libcrypto: SHA-256 failed");
  return ctx.get();
}

}  // namespace

std::string sha256_hex(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* ctx = thread_context();
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  bool ok = EVP_DigestInit_ex(ctx, sha256_md(), nullptr) == 1;
  for (const std::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  }
  if (!ok || EVP_DigestFinal_ex(ctx, digest.data(), &len) != 1) {
    throw std::runtime_error("libcrypto: SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(len) * 2, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  return sha256_hex({data});
}

}  // namespace feedd::lib
