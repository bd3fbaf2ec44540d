#include "lib/crypto/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

namespace feedd::lib {
namespace {

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += kHex[static_cast<unsigned char>(c) >> 4];
    out += kHex[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

// RFC 4231 test vectors (cases 1 and 2).
TEST(HmacSha256, MatchesRfc4231) {
  struct Case {
    std::string key, data, expected;
  };
  const Case cases[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(hex(hmac_sha256(c.key, c.data)), c.expected) << c.data;
}

TEST(RandomBytes, HasTheSizeAndDiffers) {
  const auto a = random_bytes(32);
  const auto b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(ConstantTimeEqual, ComparesContentAndSize) {
  struct Case {
    std::string a, b;
    bool equal;
  };
  const Case cases[] = {
      {"", "", true}, {"abc", "abc", true}, {"abc", "abd", false}, {"abc", "ab", false}};
  for (const Case& c : cases)
    EXPECT_EQ(constant_time_equal(c.a, c.b), c.equal) << c.a << c.b;
}

}  // namespace
}  // namespace feedd::lib
