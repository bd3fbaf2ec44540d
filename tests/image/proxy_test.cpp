#include "image/proxy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>

#include "fetch/fake_fetcher.hpp"

namespace feedd::image {
namespace {

namespace fs = std::filesystem;

TEST(Base64url, RoundTripsEveryLength) {
  const std::string text = "https://wx1.sinaimg.cn/a b?c=%2F#x\xff";
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const std::string part = text.substr(0, n);
    const auto encoded = base64url_encode(part);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos) << encoded;
    EXPECT_EQ(base64url_decode(encoded), part) << encoded;
  }
}

TEST(Base64url, RefusesForeignTextAndNonCanonicalForms) {
  for (const char* bad : {"a", "ab+c", "ab/c", "YQ==", "YR", "a%2F"})
    EXPECT_FALSE(base64url_decode(bad)) << bad;
}

TEST(UrlSigner, ChecksOnlyItsOwnPaths) {
  const UrlSigner signer(std::string(32, 'k'));
  const UrlSigner other(std::string(32, 'o'));
  const std::string url = "https://wx1.sinaimg.cn/large/a.jpg?x=1";
  const std::string path = signer.path(url);
  ASSERT_TRUE(path.starts_with("img/"));
  const std::string rest = path.substr(4);
  std::string tampered_sig = rest;
  tampered_sig[0] = tampered_sig[0] == '0' ? '1' : '0';
  std::string tampered_url = signer.path("https://wx1.sinaimg.cn/large/b.jpg?x=1").substr(4);
  tampered_url = rest.substr(0, 65) + tampered_url.substr(65);
  struct Case {
    std::string rest;
    int status;
  };
  const Case cases[] = {
      {rest, 200},
      {tampered_sig, 403},
      {tampered_url, 403},
      {other.path(url).substr(4), 403},
      {"", 404},
      {"garbage", 404},
      {rest.substr(0, 64) + "/", 404},
      {rest.substr(0, 63) + "/" + rest.substr(65), 404},
      {rest.substr(0, 65) + "!!", 404},
  };
  for (const Case& c : cases) {
    const auto checked = signer.check(c.rest);
    EXPECT_EQ(checked.status, c.status) << c.rest;
    if (c.status == 200) {
      EXPECT_EQ(checked.url, url);
    }
  }
}

class ProxyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("feedd-proxy-cache-" + std::to_string(getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ProxyCacheTest, PutThenGetServesTheSameFile) {
  ProxyCache cache(dir_, 1000);
  EXPECT_FALSE(cache.get("https://a/1.png"));
  const auto name = cache.put("https://a/1.png", ImageType::kPng, std::string(100, 'p'));
  ASSERT_FALSE(name.empty());
  EXPECT_TRUE(name.ends_with(".png"));
  EXPECT_EQ(cache.get("https://a/1.png"), name);
  EXPECT_EQ(fs::file_size(dir_ / name), 100u);
  EXPECT_EQ(cache.total_bytes(), 100u);
}

TEST_F(ProxyCacheTest, BoundEvictsTheLeastRecentlyUsed) {
  ProxyCache cache(dir_, 300);
  const auto a = cache.put("https://a/a.jpg", ImageType::kJpeg, std::string(100, 'a'));
  const auto b = cache.put("https://a/b.jpg", ImageType::kJpeg, std::string(100, 'b'));
  const auto c = cache.put("https://a/c.jpg", ImageType::kJpeg, std::string(100, 'c'));
  ASSERT_TRUE(cache.get("https://a/a.jpg"));  // a is now more recent than b
  const auto d = cache.put("https://a/d.jpg", ImageType::kJpeg, std::string(100, 'd'));
  EXPECT_FALSE(cache.get("https://a/b.jpg"));
  EXPECT_FALSE(fs::exists(dir_ / b));
  for (const char* kept : {"https://a/a.jpg", "https://a/c.jpg", "https://a/d.jpg"})
    EXPECT_TRUE(cache.get(kept)) << kept;
  EXPECT_EQ(cache.total_bytes(), 300u);
  // Larger than the whole bound: refused, nothing evicted.
  EXPECT_EQ(cache.put("https://a/e.jpg", ImageType::kJpeg, std::string(301, 'e')), "");
  EXPECT_EQ(cache.total_bytes(), 300u);
}

TEST_F(ProxyCacheTest, ARestartKeepsTheFilesWithinTheBound) {
  {
    ProxyCache cache(dir_, 1000);
    cache.put("https://a/a.gif", ImageType::kGif, std::string(400, 'a'));
    cache.put("https://a/b.gif", ImageType::kGif, std::string(400, 'b'));
  }
  ProxyCache smaller(dir_, 500);
  EXPECT_EQ(smaller.total_bytes(), 400u);
  EXPECT_TRUE(smaller.get("https://a/a.gif") || smaller.get("https://a/b.gif"));
}

using namespace std::string_literals;

ProxyReply ask(ProxyFetcher& proxy, const std::string& url) {
  std::promise<ProxyReply> reply;
  proxy.request(url, [&](ProxyReply r) { reply.set_value(std::move(r)); });
  return reply.get_future().get();
}

TEST_F(ProxyCacheTest, ProxyFetcherCachesImagesAndRefusesTheRest) {
  const std::string png = "\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR png body"s;
  auto fake = std::make_unique<fetch::FakeFetcher>();
  fetch::FakeFetcher& upstream = *fake;
  upstream.answer("https://i/a.png", fetch::ok_response(png, "image/png"));
  upstream.answer(
      "https://i/x.svg",
      fetch::ok_response("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "image/svg+xml"));
  upstream.answer("https://i/h.jpg",
                  fetch::ok_response("<!DOCTYPE html><html></html>", "image/jpeg"));
  fetch::Result missing;
  missing.outcome = fetch::Outcome::kHttpError;
  missing.http_status = 404;
  missing.reason = "HTTP 404 Not Found";
  upstream.answer("https://i/404.png", missing);
  ProxyCache cache(dir_, 1 << 20);
  ProxyFetcher proxy(std::move(fake), cache);
  struct Case {
    std::string url;
    int status;
  };
  const Case cases[] = {
      {"https://i/a.png", 200},   {"https://i/x.svg", 502}, {"https://i/h.jpg", 502},
      {"https://i/404.png", 502}, {"https://i/a.png", 200},  // the second from the cache
  };
  for (const Case& c : cases) {
    const ProxyReply reply = ask(proxy, c.url);
    EXPECT_EQ(reply.status, c.status) << c.url << ": " << reply.reason;
    EXPECT_EQ(reply.file.empty(), c.status != 200) << c.url;
  }
  EXPECT_EQ(upstream.requests().size(), 4u);  // a.png fetched once
  EXPECT_EQ(cache.total_bytes(), png.size());
  proxy.cancel();
  EXPECT_EQ(ask(proxy, "https://i/a.png").status, 503);
}

}  // namespace
}  // namespace feedd::image
