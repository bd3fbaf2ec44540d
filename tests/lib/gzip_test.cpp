// lib/zlib: compress and the size-bounded decompress that serves non-gzip readers.
#include "lib/zlib/gzip.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace feedd::lib {
namespace {

TEST(Gzip, RoundTripsWhatItCompressed) {
  for (const std::string& data : {std::string("x"), std::string(100000, 'a'),
                                  std::string("<feed>“中文”</feed>\n"), std::string(3, '\0')}) {
    SCOPED_TRACE(data.size());
    const auto gz = gzip_compress(data);
    ASSERT_TRUE(gz);
    EXPECT_EQ(gzip_decompress(*gz, data.size()), data);
  }
}

// Regression: the output kept the capacity of deflateBound(), about the input's size, so a
// daemon holding every feed compressed held their uncompressed size as well.
TEST(Gzip, CompressedStringHoldsNoUncompressedSizedBuffer) {
  const std::string data(1 << 20, 'z');
  const auto gz = gzip_compress(data);
  ASSERT_TRUE(gz);
  EXPECT_LT(gz->capacity(), data.size() / 100);
}

TEST(Gzip, DecompressRefusesAnythingButExactlyTheExpectedSize) {
  const std::string data(1 << 20, 'z');  // a megabyte that compresses to about a kilobyte
  const auto gz = gzip_compress(data);
  ASSERT_TRUE(gz);
  struct Case {
    const char* name;
    std::string gz;
    std::size_t size;
  };
  const std::vector<Case> cases = {
      {"claims fewer bytes than it holds", *gz, 10},  // memory stays bounded by the claim
      {"claims more bytes than it holds", *gz, data.size() + 1},
      {"truncated", gz->substr(0, gz->size() / 2), data.size()},
      {"trailing garbage", *gz + "junk", data.size()},
      {"not gzip", "plain text", 10},
      {"empty", "", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(gzip_decompress(c.gz, c.size), std::nullopt);
  }
}

}  // namespace
}  // namespace feedd::lib
