#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fetch/fake_fetcher.hpp"
#include "image/download.hpp"
#include "image/referer.hpp"
#include "image/sniff.hpp"
#include "image/store.hpp"

namespace feedd::image {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

const std::string kJpeg = "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 jpeg body"s;
const std::string kPng = "\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR png body"s;
const std::string kGif = "GIF89a\x01\x00\x01\x00 gif body"s;
const std::string kWebp = "RIFF\x24\x00\x00\x00WEBPVP8 webp body"s;
const std::string kAvif =
    "\x00\x00\x00\x1C"
    "ftypavif\x00\x00\x00\x00"
    "avifmif1miaf body"s;
const std::string kAvifCompatible =
    "\x00\x00\x00\x18"
    "ftypmif1\x00\x00\x00\x00"
    "avifmiaf"s;
const std::string kHeif =
    "\x00\x00\x00\x18"
    "ftypheic\x00\x00\x00\x00"
    "mif1heic"s;
const std::string kSvg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script>";
const std::string kHtml = "<!DOCTYPE html><html><body>hotlink refused</body></html>";

TEST(Sniff, Table) {
  struct Case {
    std::string body;
    std::string content_type;
    std::optional<ImageType> want;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {kJpeg, "image/jpeg", ImageType::kJpeg, ""},
      {kPng, "image/png", ImageType::kPng, ""},
      {kGif, "image/gif", ImageType::kGif, ""},
      {kWebp, "image/webp", ImageType::kWebp, ""},
      {kAvif, "image/avif", ImageType::kAvif, ""},
      {kAvifCompatible, "", ImageType::kAvif, ""},
      // The bytes decide the type: CDNs serve WebP as image/jpeg.
      {kWebp, "image/jpeg", ImageType::kWebp, ""},
      {kPng, "application/octet-stream", ImageType::kPng, ""},
      {kJpeg, "IMAGE/JPEG; charset=binary", ImageType::kJpeg, ""},
      {kJpeg, "", ImageType::kJpeg, ""},
      // Never SVG, whatever it is called; never HTML dressed as a .jpg.
      {kSvg, "image/svg+xml", std::nullopt, "not an image (image/svg+xml)"},
      {kSvg, "image/jpeg", std::nullopt, "not a JPEG, PNG, GIF, WebP or AVIF image (image/jpeg)"},
      {kJpeg, "image/svg+xml", std::nullopt, "not an image (image/svg+xml)"},
      {kHtml, "image/jpeg", std::nullopt, "not a JPEG, PNG, GIF, WebP or AVIF image (image/jpeg)"},
      {kJpeg, "text/html; charset=utf-8", std::nullopt, "not an image (text/html)"},
      {kHtml, "", std::nullopt, "not a JPEG, PNG, GIF, WebP or AVIF image"},
      {kHeif, "image/heic", std::nullopt, "not a JPEG, PNG, GIF, WebP or AVIF image (image/heic)"},
      {"", "image/png", std::nullopt, "not a JPEG, PNG, GIF, WebP or AVIF image (image/png)"},
      {"RIFF\x24\x00\x00\x00WAVE"s, "", std::nullopt, "not a JPEG, PNG, GIF, WebP or AVIF image"},
  };
  for (const Case& c : cases) {
    const Sniffed s = sniff(c.body, c.content_type);
    EXPECT_EQ(s.type, c.want) << c.content_type << " " << c.body.substr(0, 12);
    EXPECT_EQ(s.reason, c.reason) << c.content_type << " " << c.body.substr(0, 12);
  }
}

TEST(ImageFileName, OnlyWhatTheStoreWrites) {
  const std::string hash(32, 'a');
  for (const std::string& ok : {hash + ".jpg", hash + ".png", hash + ".gif", hash + ".webp",
                                std::string("0123456789abcdef0123456789abcdef.avif")}) {
    EXPECT_TRUE(is_image_file_name(ok)) << ok;
  }
  for (const std::string& bad :
       {hash + ".svg", hash + ".html", hash + ".JPG", std::string(32, 'A') + ".jpg",
        std::string(31, 'a') + ".jpg", hash + "a.jpg", "../" + hash + ".jpg", hash + ".jpg/..",
        hash + ".", hash, std::string(""), std::string("index.html"), hash + ".jpg.tmp-feedd"}) {
    EXPECT_FALSE(is_image_file_name(bad)) << bad;
  }
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("feedd-image-test-" + std::to_string(getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ImageStore, ContentAddressedOncePerHashAndPrune) {
  TempDir dir;
  const ImageStore store(dir.path() / "images");
  const Stored a = store.put(kJpeg, ImageType::kJpeg);
  ASSERT_TRUE(a.ok) << a.error;
  // sha256(kJpeg), first 32 hex digits.
  EXPECT_EQ(a.file, ImageStore::file_name(kJpeg, ImageType::kJpeg));
  EXPECT_TRUE(is_image_file_name(a.file));
  EXPECT_EQ(slurp(store.folder() / a.file), kJpeg);
  const Stored again = store.put(kJpeg, ImageType::kJpeg);
  EXPECT_EQ(again.file, a.file);
  const Stored b = store.put(kPng, ImageType::kPng);
  ASSERT_TRUE(b.ok);
  EXPECT_NE(b.file, a.file);
  EXPECT_TRUE(b.file.ends_with(".png"));
  EXPECT_TRUE(store.contains(a.file));
  EXPECT_FALSE(store.contains("../" + a.file));

  std::ofstream(store.folder() / "notes.txt") << "not ours";
  EXPECT_EQ(store.prune({b.file}), 1u);
  EXPECT_FALSE(store.contains(a.file));
  EXPECT_TRUE(store.contains(b.file));
  EXPECT_TRUE(fs::exists(store.folder() / "notes.txt"));  // not an image file name: not ours
}

TEST(RefererMap, LongestSuffixAtALabelBoundary) {
  const RefererMap map({{"sinaimg.cn", "https://weibo.com/"},
                        {"mmbiz.qpic.cn", "https://mp.weixin.qq.com/"},
                        {"qpic.cn", "https://qq.com/"},
                        {".ZHIMG.com", "https://www.zhihu.com/"}});
  struct Case {
    std::string url;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"https://wx1.sinaimg.cn/large/a.jpg", "https://weibo.com/"},
      {"https://sinaimg.cn/a.jpg", "https://weibo.com/"},
      {"https://notsinaimg.cn/a.jpg", ""},
      {"https://mmbiz.qpic.cn/x/640", "https://mp.weixin.qq.com/"},
      {"https://puui.qpic.cn/x", "https://qq.com/"},
      {"https://pic1.zhimg.com/v2.jpg", "https://www.zhihu.com/"},
      {"https://PIC1.ZHIMG.COM/v2.jpg", "https://www.zhihu.com/"},
      {"https://example.com/a.png", ""},
      {"not a url", ""},
  };
  for (const Case& c : cases)
    EXPECT_EQ(map.for_url(c.url), c.want) << c.url;
  EXPECT_EQ(RefererMap().for_url("https://wx1.sinaimg.cn/a.jpg"), "");
}

fetch::Result failed(fetch::Outcome outcome, long status, std::string reason) {
  fetch::Result r;
  r.outcome = outcome;
  r.http_status = status;
  r.reason = std::move(reason);
  return r;
}

TEST(Download, FatesPerImage) {
  TempDir dir;
  const ImageStore store(dir.path() / "images");
  fetch::FakeFetcher fetcher;
  fetcher.answer("https://a.test/1.jpg", fetch::ok_response(kJpeg, "image/jpeg"));
  fetcher.answer("https://a.test/2.svg", fetch::ok_response(kSvg, "image/svg+xml"));
  fetcher.answer("https://a.test/3.jpg", fetch::ok_response(kHtml, "text/html"));
  fetcher.answer("https://a.test/404.jpg",
                 failed(fetch::Outcome::kHttpError, 404, "HTTP 404 Not Found"));
  fetcher.answer("https://a.test/503.jpg",
                 failed(fetch::Outcome::kHttpError, 503, "HTTP 503 Service Unavailable"));
  fetcher.answer("https://a.test/big.jpg",
                 failed(fetch::Outcome::kTooLarge, 200, "body larger than 1 MiB"));
  fetcher.answer("https://a.test/slow.jpg",
                 failed(fetch::Outcome::kTimeout, 0, "timed out after 30 s"));
  fetcher.answer("https://a.test/local.jpg", failed(fetch::Outcome::kNetworkError, 0,
                                                    "refused: address 127.0.0.1 is loopback"));
  fetcher.answer("https://b.test/same.jpg", fetch::ok_response(kJpeg, "image/jpeg"));

  struct Want {
    std::string url;
    Fate fate;
    std::string reason;
  };
  const std::vector<Want> wants = {
      {"https://a.test/1.jpg", Fate::kStored, ""},
      {"https://a.test/2.svg", Fate::kGiveUp, "not an image (image/svg+xml)"},
      {"https://a.test/3.jpg", Fate::kGiveUp, "not an image (text/html)"},
      {"https://a.test/404.jpg", Fate::kGiveUp, "HTTP 404 Not Found"},
      {"https://a.test/503.jpg", Fate::kRetry, "HTTP 503 Service Unavailable"},
      {"https://a.test/big.jpg", Fate::kGiveUp, "body larger than 1 MiB"},
      {"https://a.test/slow.jpg", Fate::kRetry, "timed out after 30 s"},
      {"https://a.test/local.jpg", Fate::kGiveUp, "refused: address 127.0.0.1 is loopback"},
      {"https://a.test/unscripted.jpg", Fate::kRetry, "no answer scripted"},
      {"https://b.test/same.jpg", Fate::kStored, ""},
  };
  Wanted w{"post-1", {}};
  for (const Want& x : wants)
    w.urls.push_back(x.url);
  w.urls.push_back("https://a.test/1.jpg");  // twice in one article: one outcome
  const auto out = download(fetcher, store, {w}, Caps{});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].article, "post-1");
  ASSERT_EQ(out[0].images.size(), wants.size());
  for (std::size_t i = 0; i < wants.size(); ++i) {
    const ImageOutcome& o = out[0].images[i];
    EXPECT_EQ(o.url, wants[i].url);
    EXPECT_EQ(fate_name(o.fate), std::string(fate_name(wants[i].fate))) << o.url;
    EXPECT_EQ(o.reason, wants[i].reason) << o.url;
    EXPECT_EQ(o.file.empty(), o.fate != Fate::kStored) << o.url;
  }
  // Same bytes from two URLs: one file.
  EXPECT_EQ(out[0].images[0].file, out[0].images.back().file);
  EXPECT_TRUE(store.contains(out[0].images[0].file));
  EXPECT_EQ(fetcher.requests().size(), wants.size());
  // Staged with their wave and renamed into place: no temporary is left behind.
  for (const auto& e : fs::directory_iterator(store.folder())) {
    EXPECT_TRUE(is_image_file_name(e.path().filename().string())) << e.path();
  }
}

TEST(Download, EachUrlFetchedOnceAcrossArticles) {
  TempDir dir;
  const ImageStore store(dir.path() / "images");
  fetch::FakeFetcher fetcher;
  fetcher.answer("https://a.test/shared.png", fetch::ok_response(kPng, "image/png"));
  const auto out = download(
      fetcher, store,
      {{"one", {"https://a.test/shared.png"}}, {"two", {"https://a.test/shared.png"}}}, Caps{});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].article, "two");
  EXPECT_EQ(out[0].images.at(0).file, out[1].images.at(0).file);
  EXPECT_EQ(out[1].images.at(0).fate, Fate::kStored);
  EXPECT_EQ(fetcher.requests().size(), 1u);
}

TEST(Download, Caps) {
  TempDir dir;
  const ImageStore store(dir.path() / "images");
  fetch::FakeFetcher fetcher;
  std::vector<std::string> urls;
  for (int i = 0; i < 5; ++i) {
    const std::string url = "https://a.test/" + std::to_string(i) + ".png";
    fetcher.answer(
        url, fetch::ok_response(kPng + std::string(100, static_cast<char>('a' + i)), "image/png"));
    urls.push_back(url);
  }
  const std::size_t size = kPng.size() + 100;

  Caps count;
  count.images_per_article = 2;
  auto out = download(fetcher, store, {{"p", urls}}, count);
  ASSERT_EQ(out[0].images.size(), 5u);
  EXPECT_EQ(out[0].images[1].fate, Fate::kStored);
  EXPECT_EQ(out[0].images[2].fate, Fate::kGiveUp);
  EXPECT_EQ(out[0].images[2].reason, "over the cap of 2 images per article");
  EXPECT_EQ(fetcher.requests().size(), 2u);  // the others were never fetched

  Caps bytes;
  bytes.bytes_per_article = 3 * size;
  out = download(fetcher, store, {{"p", urls}}, bytes);
  EXPECT_EQ(out[0].images[2].fate, Fate::kStored);
  EXPECT_EQ(out[0].images[3].fate, Fate::kGiveUp);
  EXPECT_TRUE(out[0].images[3].reason.starts_with("over the cap of ")) << out[0].images[3].reason;

  // The cycle cap is checked between waves: the first wave (2 images) passes it, the rest wait
  // for the next cycle without being fetched.
  Caps cycle;
  cycle.wave = 2;
  cycle.bytes_per_cycle = size;
  const std::size_t before = fetcher.requests().size();
  out = download(fetcher, store, {{"p", urls}}, cycle);
  EXPECT_EQ(fetcher.requests().size() - before, 2u);
  EXPECT_EQ(out[0].images[1].fate, Fate::kStored);
  EXPECT_EQ(out[0].images[2].fate, Fate::kRetry);
  EXPECT_TRUE(out[0].images[2].reason.starts_with("the cycle's cap of "))
      << out[0].images[2].reason;
}

TEST(ImageFetchLimits, GuardOnUnlessPrivateHostsAndRefererFromTheMap) {
  FetchOptions o;
  o.referers = RefererMap({{"sinaimg.cn", "https://weibo.com/"}, {"qpic.cn", "https://qq.com/"}});
  o.max_image_bytes = 1234;
  fetch::Limits l = image_fetch_limits(o);
  EXPECT_TRUE(l.refuse_private_addresses);
  EXPECT_EQ(l.max_body, 1234u);
  EXPECT_TRUE(l.accept.starts_with("image/")) << l.accept;
  ASSERT_TRUE(l.referer);
  EXPECT_EQ(l.referer("https://wx2.sinaimg.cn/a.jpg"), "https://weibo.com/");
  EXPECT_EQ(l.referer("https://example.com/a.jpg"), "");
  o.private_hosts = true;
  EXPECT_FALSE(image_fetch_limits(o).refuse_private_addresses);
}

}  // namespace
}  // namespace feedd::image
