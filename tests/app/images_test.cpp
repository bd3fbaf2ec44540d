// images: download in the cycle's terms (app/images.hpp), against a scripted Fetcher: what a
// post holds before and after its images arrive, retries, give-ups, pruning.
#include "app/images.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "article/article.hpp"
#include "fetch/fake_fetcher.hpp"

namespace feedd::app {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

const std::chrono::sys_seconds kNow{std::chrono::seconds{1638000000}};
const std::string kJpeg = "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 a jpeg"s;
const std::string kPng = "\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR a png"s;

fetch::Result unavailable() {
  fetch::Result r;
  r.outcome = fetch::Outcome::kHttpError;
  r.http_status = 503;
  r.reason = "HTTP 503 Service Unavailable";
  return r;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ImagePassTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("feedd_images_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const auto r = config::parse_config(R"(
output: out
base_url: http://feeds.test/
images: download
image_proxy: "https://proxy.test/?"
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: chan
            url: https://up.example/feed
)",
                                        dir_ / "feeds.yaml");
    ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0]);
    config_ = *r.config;
    store_.emplace(config_.state);
    auto fake = std::make_unique<fetch::FakeFetcher>();
    fetcher_ = fake.get();
    pass_.emplace(config_, *store_, std::move(fake));
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Stores an article the way the cycle does (made, stored, recorded, its file written).
  article::Article add(const std::string& html) {
    parse::FeedItem item;
    item.title = "图片文章";
    item.link = "https://up.example/post";
    item.html = html;
    article::Context ctx{{"Top", "Src", "chan"}, "Src", config_.image_proxy, kNow};
    article::Article a = *article::make_article(item, ctx);
    store::Store::Transaction tx(*store_);
    store_->add_article(a, "top/src/chan", kNow);
    pass_->record(a);
    tx.commit();
    fs::create_directories(config_.output / "posts");
    std::ofstream(post(a)) << article::render_article_file(a);
    return a;
  }
  fs::path post(const article::Article& a) const {
    return config_.output / "posts" / (a.hash + ".md");
  }

  fs::path dir_;
  config::Config config_;
  std::optional<store::Store> store_;
  fetch::FakeFetcher* fetcher_ = nullptr;
  std::optional<ImagePass> pass_;
};

TEST_F(ImagePassTest, FailsOnceThenArrivesAndThePostIsRewritten) {
  fetcher_->answer("https://img.test/a.jpg", fetch::ok_response(kJpeg, "image/jpeg"));
  fetcher_->answer("http://img.test/b.png", unavailable());
  fetcher_->answer("https://img.test/c.svg", fetch::ok_response("<svg/>", "image/svg+xml"));
  const article::Article a =
      add("<p><img src=\"https://img.test/a.jpg\"><img src=\"http://img.test/b.png\">"
          "<img src=\"https://img.test/c.svg\"></p>");
  const std::string a_file = image::ImageStore::file_name(kJpeg, image::ImageType::kJpeg);
  const std::string b_file = image::ImageStore::file_name(kPng, image::ImageType::kPng);

  ImagePassReport first = pass_->run();
  EXPECT_EQ(first.error, "");
  EXPECT_EQ(first.stored, 1);
  EXPECT_EQ(first.retry, 1);
  EXPECT_EQ(first.given_up, 1);
  EXPECT_EQ(first.posts_written, 1);
  EXPECT_EQ(first.touched, std::set<std::string>{"top/src/chan"});
  // The http:// image is fetched itself, not through image_proxy.
  ASSERT_EQ(fetcher_->requests().size(), 3u);
  EXPECT_EQ(fetcher_->requests()[1].url, "http://img.test/b.png");
  std::string text = read(post(a));
  EXPECT_NE(text.find("src=\"http://feeds.test/images/" + a_file + "\""), std::string::npos)
      << text;
  EXPECT_NE(text.find("headimg: 'http://feeds.test/images/" + a_file + "'"), std::string::npos);
  EXPECT_NE(text.find("src=\"https://proxy.test/?http://img.test/b.png\""), std::string::npos);
  EXPECT_NE(text.find("src=\"https://img.test/c.svg\""), std::string::npos);
  EXPECT_TRUE(fs::exists(config_.output / "images" / a_file));

  fetcher_->answer("http://img.test/b.png", fetch::ok_response(kPng, "image/png"));
  ImagePassReport second = pass_->run();
  EXPECT_EQ(second.stored, 1);
  EXPECT_EQ(second.retry + second.given_up, 0);
  EXPECT_EQ(fetcher_->requests().size(), 4u);  // only the pending one again
  text = read(post(a));
  EXPECT_NE(text.find("src=\"http://feeds.test/images/" + b_file + "\""), std::string::npos)
      << text;
  EXPECT_NE(text.find("src=\"http://feeds.test/images/" + a_file + "\""), std::string::npos);
  EXPECT_EQ(store_->article(a.hash)->html.find("img.test/b.png"), std::string::npos);

  // Nothing pending: nothing fetched.
  EXPECT_EQ(pass_->run().stored, 0);
  EXPECT_EQ(fetcher_->requests().size(), 4u);

  // Pruning keeps referenced files and removes the rest.
  std::ofstream(config_.output / "images" / ("f" + a_file.substr(1))) << "orphan";
  EXPECT_EQ(pass_->prune(), 1u);
  EXPECT_TRUE(fs::exists(config_.output / "images" / a_file));
  EXPECT_TRUE(fs::exists(config_.output / "images" / b_file));
}

TEST_F(ImagePassTest, GivenUpAfterMaxAttempts) {
  fetcher_->answer("https://img.test/down.jpg", unavailable());
  add("<p><img src=\"https://img.test/down.jpg\"></p>");
  for (int i = 1; i < kMaxImageAttempts; ++i)
    EXPECT_EQ(pass_->run().retry, 1) << i;
  EXPECT_EQ(pass_->run().given_up, 1);
  EXPECT_TRUE(store_->pending_images(10).empty());
  EXPECT_EQ(fetcher_->requests().size(), static_cast<std::size_t>(kMaxImageAttempts));
}

}  // namespace
}  // namespace feedd::app
