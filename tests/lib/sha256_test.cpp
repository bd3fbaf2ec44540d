#include "lib/crypto/sha256.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace feedd::lib {
namespace {

TEST(Sha256Hex, KnownVectors) {
  struct Case {
    std::string input;
    std::string_view want;
  };
  const std::vector<Case> cases = {
      // FIPS 180-2 / NIST examples.
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      {"The quick brown fox jumps over the lazy dog",
       "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"},
      // UTF-8 text hashes as its bytes, as `printf %s "$title" | sha256sum` does.
      {"新媒体", "76544282b0f1871da1abdcbc4bdb8cec05de56bdb3d47c431387a3d3fb5a8774"},
      {"“小腿肌肉”与 U+3000　测试",
       "0f54844527e98f298edb8caa054291b16853e8f585fe633a3bdd7cfd7d3450ec"},
      // An embedded NUL is data, not a terminator.
      {std::string("a\0b", 3), "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input.size() > 80 ? c.input.substr(0, 80) + "…" : c.input);
    EXPECT_EQ(sha256_hex(c.input), c.want);
  }
}

TEST(Sha256Hex, PartsHashAsTheirConcatenation) {
  struct Case {
    std::vector<std::string_view> parts;
  };
  const std::string million(1000000, 'a');
  const std::vector<Case> cases = {
      {{}},
      {{""}},
      {{"", ""}},
      {{"a", "bc"}},
      {{"ab", "", "c"}},
      {{"新媒", "体"}},
      {{"title", std::string_view("\0", 1), "<p>body</p>"}},
      {{std::string_view(million).substr(0, 123), std::string_view(million).substr(123)}},
  };
  for (const auto& c : cases) {
    std::string whole;
    for (const auto p : c.parts)
      whole += p;
    SCOPED_TRACE(whole.size() > 80 ? whole.substr(0, 80) + "…" : whole);
    std::string parts_hash;
    switch (c.parts.size()) {
      case 0:
        parts_hash = sha256_hex({});
        break;
      case 1:
        parts_hash = sha256_hex({c.parts[0]});
        break;
      case 2:
        parts_hash = sha256_hex({c.parts[0], c.parts[1]});
        break;
      default:
        parts_hash = sha256_hex({c.parts[0], c.parts[1], c.parts[2]});
        break;
    }
    EXPECT_EQ(parts_hash, sha256_hex(whole));
  }
}

TEST(Sha256Hex, IsSixtyFourLowerCaseHexDigits) {
  const std::string h = sha256_hex("feedd");
  ASSERT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
}

}  // namespace
}  // namespace feedd::lib
