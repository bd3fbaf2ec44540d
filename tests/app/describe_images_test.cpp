#include <gtest/gtest.h>

#include <string>

#include "app/images.hpp"
#include "config/config.hpp"

namespace feedd::app {
namespace {

config::Config base() {
  config::Config c;
  c.base_url = "https://feeds.example/";
  c.image_base = "https://feeds.example/images/";
  c.state = "/var/lib/feedd/feedd.db";
  return c;
}

TEST(DescribeImages, SaysModeTargetCapsRefererAndGuard) {
  struct Case {
    const char* name;
    void (*edit)(config::Config&);
    std::string expected;
  };
  const Case cases[] = {
      {"hotlink through image_proxy",
       [](config::Config& c) { c.image_proxy = "https://user:pw@proxy.example/?"; },
       "images: hotlink (http:// ones through https://proxy.example/)\n"},
      {"hotlink plain", [](config::Config& c) { c.image_proxy.clear(); },
       "images: hotlink (original URLs)\n"},
      {"download",
       [](config::Config& c) {
         c.images = config::ImageMode::download;
         c.referer = {{"sinaimg.cn", "https://weibo.com/"}};
       },
       "images: download → https://feeds.example/images/<hash>.<ext>; caps: 30 images and 32 "
       "MiB per article, 16 MiB per image, 256 MiB per cycle\n"
       "referer: sinaimg.cn → https://weibo.com/\n"
       "image_private_hosts: false (no image from loopback, private, link-local or multicast "
       "addresses)\n"},
      {"proxy",
       [](config::Config& c) {
         c.images = config::ImageMode::proxy;
         c.image_cache_mb = 64;
         c.image_max_mb = 4;
         c.image_private_hosts = true;
       },
       "images: proxy → https://feeds.example/img/<signature>/<url>; cache: "
       "/var/lib/feedd/image-cache, 64 MiB; caps: 4 MiB per image\n"
       "referer: none\n"
       "image_private_hosts: true (images may come from loopback and private addresses)\n"},
  };
  for (const Case& c : cases) {
    config::Config cfg = base();
    c.edit(cfg);
    EXPECT_EQ(describe_images(cfg), c.expected) << c.name;
  }
}

}  // namespace
}  // namespace feedd::app
