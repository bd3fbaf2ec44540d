#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "article/article.hpp"
#include "parse/feed.hpp"

namespace feedd::article {
namespace {

using namespace std::chrono;
using parse::FeedItem;

constexpr std::string_view kProxy = "https://cors.zfour.workers.dev/?";

sys_seconds at(year_month_day day, hours h, minutes m, seconds s) {
  return sys_days(day) + h + m + s;
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Compares `actual` with tests/data/article/golden/<name>; FEEDD_UPDATE_GOLDEN=1 rewrites the
// file instead (then read the diff before committing it).
void expect_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path =
      std::filesystem::path(FEEDD_TEST_DATA) / "article" / "golden" / name;
  if (const char* update = std::getenv("FEEDD_UPDATE_GOLDEN");
      update != nullptr && std::string_view(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
  }
  const std::optional<std::string> expected = read_file(path);
  ASSERT_TRUE(expected) << path << " is missing; run with FEEDD_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, *expected) << "differs from " << path;
}

Context context(std::vector<std::string> categories, std::string author) {
  Context c;
  c.categories = std::move(categories);
  c.author = std::move(author);
  c.image_proxy = std::string(kProxy);
  c.now = at(2021y / June / 1, 8h, 0min, 0s);
  return c;
}

struct GoldenCase {
  std::string golden;
  FeedItem item;
  Context context;
};

std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> cases;
  {
    // ZAKER: lazy-loaded <img> with data-original and no src, http image → proxied.
    FeedItem item;
    item.title = "江边步道改造完工，市民夜跑有了新去处";
    item.link = "http://www.myzaker.com/article/60a00000000000000000a001";
    item.guid = "http://www.myzaker.com/article/60a00000000000000000a001";
    item.html =
        "<p>经过三个月施工，江边步道于本周末重新开放。</p><p></p><div class=\"img_box\" "
        "id=\"id_imagebox_0\" onclick><div class=\"content_img_div perview_img_div\"><img "
        "class=\"lazy opacity_0 \" id=\"img_0\" "
        "data-original=\"http://zkres1.myzaker.com/202105/60a00000000000000000a001_1024.jpg\" "
        "data-height=\"480\" data-width=\"640\"></div></div><p>附近居民说，晚饭后多了一个散步的"
        "地方。</p>";
    item.published = at(2021y / May / 19, 22h, 3min, 11s);
    cases.push_back(
        {"zaker_data_original.md", item, context({"新媒体", "ZAKER", "source"}, "ZAKER")});
  }
  {
    // 果壳: data-src plus an https src with a query string → kept, not proxied.
    FeedItem item;
    item.title = "为什么天一凉，“小腿肚”就容易抽筋？";
    item.link = "https://www.guokr.com/article/459999/";
    item.guid = "https://www.guokr.com/article/459999/";
    item.html =
        "<section style=\"line-height: 2;\"><p>天气转凉后，不少人夜里被抽筋疼醒。</p></section>"
        "<section style=\"text-align: center;\"><img "
        "data-src=\"https://1-im.guokr.com/exampleimage01.jpg?imageView2/1/w/555/h/269\" "
        "class=\"rich_pages\" data-ratio=\"0.5\" data-type=\"jpeg\" style=\"vertical-align: "
        "middle;\" src=\"https://1-im.guokr.com/exampleimage01.jpg?imageView2/1/w/555/h/269\">"
        "</section>\n                ";
    item.updated = at(2021y / May / 21, 14h, 0min, 0s);
    cases.push_back({"guokr_data_src.md", item, context({"新媒体", "果壳网", "科学人"}, "果壳网")});
  }
  {
    // 人人都是产品经理: a plain http:// src → proxied; no date at all → context.now.
    FeedItem item;
    item.title = "从0到1搭建会员体系：我踩过的三个坑";
    item.link = "https://www.woshipm.com/pd/4999999.html";
    item.html =
        "<p>会员体系不是简单的打折。</p><p><img "
        "src=\"http://image.woshipm.com/wp-files/2021/05/example0001.png\" alt=\"会员等级示意图\" "
        "width=\"600\" height=\"400\"></p><p>下面分三点来说。</p>";
    cases.push_back({"woshipm_http_src.md", item,
                     context({"新媒体", "人人都是产品经理", "popular"}, "人人都是产品经理")});
  }
  {
    // No image: no headimg/thumbnail; title trimmed and its line breaks folded.
    FeedItem item;
    item.title = "\n  周末天气：晴转多云\n  气温回升  ";
    item.link = "https://news.example.com/weather/20210605";
    item.html = "<p>本周末以晴到多云天气为主。</p>\n<p>早晚温差较大，注意添衣。</p>";
    item.published = at(2021y / June / 5, 1h, 2min, 3s);
    item.updated = at(2021y / June / 6, 0h, 0min, 0s);
    cases.push_back({"no_image.md", item, context({"新媒体", "测试源", "天气"}, "测试源")});
  }
  {
    // Quotes of both kinds in the title; Nunjucks syntax in the body.
    FeedItem item;
    item.title = "他说'明天见'，她回“不见不散”";
    item.link = "https://news.example.com/a/42";
    item.guid = "tag:news.example.com,2021:42";
    item.html = "<p>模板里写 {{ page.title }} 或 {% if x %} 会让 Hexo 出错。</p><p>结尾。</p>";
    item.published = at(2021y / July / 12, 18h, 8min, 20s);
    cases.push_back({"quotes_braces.md", item, context({"新媒体", "测试源", "杂谈"}, "测试源")});
  }
  // Issue 14: one golden per new front-matter key, then all of them together.
  FeedItem meta;
  meta.title = "播客第十期：城市里的声音";
  meta.link = "https://pod.example.com/episodes/10";
  meta.guid = "https://pod.example.com/episodes/10";
  meta.html = "<p>这一期我们录下了菜市场。</p>";
  meta.published = at(2021y / August / 2, 9h, 30min, 0s);
  const Context meta_context = context({"新媒体", "测试源", "播客"}, "测试源");
  {
    // creator: after link:, a YAML plain scalar where YAML allows one; line breaks folded.
    FeedItem item = meta;
    item.author = "  主播\n 小林 ";
    cases.push_back({"creator.md", item, meta_context});
  }
  {
    // tags: after link: (and after creator: when there is one); quoted where YAML needs it
    // ("true", "C# 入门" stay strings); empty and repeated tags dropped.
    FeedItem item = meta;
    item.tags = {"城市", "true", "", "C# 入门", "城市", "a: b", "  声音\n采集 "};
    cases.push_back({"tags.md", item, meta_context});
  }
  {
    // enclosures: each URL through the URL contract (non-ASCII percent-encoded; javascript:
    // and relative URLs left out), type and length only when known.
    FeedItem item = meta;
    item.enclosures = {
        {"https://media.example.com/节目/10.mp3", "audio/mpeg", 34567890},
        {"javascript:alert(1)", "audio/mpeg", 1},
        {"10.pdf", "application/pdf", std::nullopt},
        {"http://media.example.com/10.jpg", "", std::nullopt},
        {"https://media.example.com/10.ogg", "audio/ogg; codecs=opus", std::nullopt},
    };
    cases.push_back({"enclosures.md", item, meta_context});
  }
  {
    FeedItem item = meta;
    item.author = "小林";
    item.tags = {"城市", "声音"};
    item.enclosures = {{"https://media.example.com/10.mp3", "audio/mpeg", 34567890}};
    cases.push_back({"metadata_all.md", item, meta_context});
  }
  return cases;
}

TEST(MakeArticle, GoldenArticleFiles) {
  for (const GoldenCase& c : golden_cases()) {
    SCOPED_TRACE(c.golden);
    const std::optional<Article> article = make_article(c.item, c.context);
    ASSERT_TRUE(article);
    const std::string file = render_article_file(*article);
    expect_golden(c.golden, file);

    // The golden reads back to the same article and renders to the same bytes.
    const ReadResult back = read_article_file(file, c.golden);
    ASSERT_TRUE(back.article) << back.error;
    EXPECT_EQ(back.article->hash, article->hash);
    EXPECT_EQ(back.article->html, article->html);
    EXPECT_EQ(back.article->creator, article->creator);
    EXPECT_EQ(back.article->tags, article->tags);
    EXPECT_EQ(back.article->enclosures, article->enclosures);
    EXPECT_EQ(render_article_file(*back.article), file);

    ASSERT_TRUE(article->summary.has_value());
    EXPECT_EQ(*article->summary, html_to_text(article->html, kSummaryBytes));
  }
}

TEST(MakeArticle, FieldsFromItemAndContext) {
  FeedItem item;
  item.title = "  第一行\r\n  第二行\t结尾  ";
  item.link = "https://example.com/x/y.html";
  item.guid = "urn:uuid:1";
  item.html = "<p>正文</p>";
  const Context ctx = context({"新媒体", "测试源", "频道"}, "测试源");
  const std::optional<Article> a = make_article(item, ctx);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->title, "第一行 第二行 结尾");
  EXPECT_EQ(a->hash, title_hash("第一行 第二行 结尾"));
  EXPECT_EQ(a->hash.size(), 16u);
  EXPECT_EQ(a->categories, ctx.categories);
  EXPECT_EQ(a->author, "测试源");
  EXPECT_EQ(a->link, item.link);
  EXPECT_EQ(a->guid, "urn:uuid:1");
  EXPECT_EQ(a->html, "<p>正文</p>");
  EXPECT_EQ(a->image, "");
  EXPECT_EQ(a->summary, "正文");
}

// The summary is made with the HTML, from the rewritten body: what the sanitiser removed is not
// in it, and it is cut to kSummaryBytes.
TEST(MakeArticle, SummaryOfTheRewrittenBody) {
  FeedItem item;
  item.title = "摘要";
  item.link = "https://example.com/a";
  item.html =
      "<p>第一段&amp;more</p><script>var secret = 1;</script><p>第二段<br>下一行"
      "<iframe src=\"https://evil.example/\">iframe text</iframe></p><style>p{}</style>";
  std::optional<Article> a = make_article(item, context({}, ""));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->summary, "第一段&more 第二段 下一行");

  item.html.clear();
  for (int i = 0; i < 100; ++i)
    item.html += "<p>一段很长的正文。</p>";
  a = make_article(item, context({}, ""));
  ASSERT_TRUE(a && a->summary);
  EXPECT_LE(a->summary->size(), kSummaryBytes);
  EXPECT_TRUE(a->summary->starts_with("一段很长的正文。 一段很长的正文。")) << *a->summary;
  EXPECT_TRUE(a->summary->ends_with("…")) << *a->summary;
  EXPECT_EQ(*a->summary, html_to_text(a->html, kSummaryBytes));

  item.html.clear();
  a = make_article(item, context({}, ""));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->summary, "");  // computed, and empty: not nullopt
}

TEST(MakeArticle, OverlongTitleCutAndOverlongUrlsLeftOut) {
  FeedItem item;
  for (int i = 0; i < 1000; ++i)
    item.title += "长";  // 3 bytes each
  item.title += " 尾";
  item.link = "https://example.com/" + std::string(5000, 'l');
  const std::string image = "https://img.example.com/" + std::string(5000, 'i') + ".jpg";
  item.html = "<img src=\"" + image + "\">";
  const std::optional<Article> a = make_article(item, context({}, ""));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->title.size(), 2046u);  // 682 whole characters
  EXPECT_EQ(a->title, item.title.substr(0, 2046));
  EXPECT_EQ(a->hash, title_hash(a->title));
  EXPECT_EQ(a->link, "");
  EXPECT_EQ(a->guid, item.link);
  EXPECT_EQ(a->image, "");
  EXPECT_NE(a->html.find(image), std::string::npos);
  // Whatever upstream sent, the file reads back.
  const ReadResult back = read_article_file(render_article_file(*a), "long.md");
  EXPECT_TRUE(back.article) << back.error;
}

// The URL contract on the item's link and the first image (issue 10: a theme printed them into
// attributes as they came).
TEST(MakeArticle, LinkAndImageFollowTheUrlContract) {
  struct Case {
    std::string link, image_src;
    std::string want_link, want_image;
  };
  const std::vector<Case> cases = {
      {"https://example.com/a", "https://img.example.com/1.jpg", "https://example.com/a",
       "https://img.example.com/1.jpg"},
      {"javascript:alert(1)", "javascript:alert(1)", "", ""},
      {"vbscript:msgbox(1)", "data:image/png;base64,AAAA", "", ""},
      {"data:text/html,<script>alert(1)</script>", "", "", ""},
      {"http://example.com/\"><script>alert(1)</script>",
       "https://img.example.com/?http://example.com/\"onerror=alert(1)//",
       "http://example.com/%22%3e%3cscript%3ealert(1)%3c/script%3e",
       "https://img.example.com/?http://example.com/%22onerror=alert(1)//"},
      {"https://example.com/空 格`", "https://img.example.com/图 1.jpg",
       "https://example.com/%e7%a9%ba%20%e6%a0%bc%60", "https://img.example.com/%e5%9b%be%201.jpg"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.link);
    FeedItem item;
    item.title = "标题";
    item.link = c.link;
    item.html = "<p>x<img src='" + c.image_src + "'></p>";
    const std::optional<Article> a = make_article(item, context({}, ""));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->link, c.want_link);
    EXPECT_EQ(a->image, c.want_image);
    EXPECT_EQ(a->guid, c.link);  // the identity is the upstream's, whatever it is
  }
}

TEST(MakeArticle, GuidFallsBackToLink) {
  FeedItem item;
  item.title = "标题";
  item.link = "https://example.com/a";
  EXPECT_EQ(make_article(item, context({}, ""))->guid, "https://example.com/a");
  item.link.clear();
  EXPECT_EQ(make_article(item, context({}, ""))->guid, "");
}

TEST(MakeArticle, DatePublishedElseUpdatedElseNow) {
  const sys_seconds published = at(2020y / January / 2, 3h, 4min, 5s);
  const sys_seconds updated = at(2020y / February / 3, 4h, 5min, 6s);
  const Context ctx = context({}, "");
  struct Case {
    std::optional<sys_seconds> published;
    std::optional<sys_seconds> updated;
    sys_seconds want;
  };
  const std::vector<Case> cases = {
      {published, updated, published},
      {published, std::nullopt, published},
      {std::nullopt, updated, updated},
      {std::nullopt, std::nullopt, ctx.now},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    FeedItem item;
    item.title = "标题";
    item.published = cases[i].published;
    item.updated = cases[i].updated;
    EXPECT_EQ(make_article(item, ctx)->date, cases[i].want) << i;
  }
}

TEST(MakeArticle, NoUsableTitle) {
  const std::vector<std::string> titles = {"", "   ", "\n\t \r\n", "\xe3\x80\x80\xc2\xa0"};
  for (const std::string& title : titles) {
    FeedItem item;
    item.title = title;
    item.link = "https://example.com/a";
    item.html = "<p>x</p>";
    EXPECT_FALSE(make_article(item, context({}, ""))) << "[" << title << "]";
  }
}

TEST(MakeArticle, ImagesResolvedAgainstContentBaseElseLink) {
  FeedItem item;
  item.title = "相对地址";
  item.link = "https://example.com/x/y.html";
  item.html = "<p><img src=\"img/a.jpg\"></p>";
  Context ctx = context({}, "");
  EXPECT_EQ(make_article(item, ctx)->image, "https://example.com/x/img/a.jpg");
  item.content_base = "https://cdn.example.com/post/";
  EXPECT_EQ(make_article(item, ctx)->image, "https://cdn.example.com/post/img/a.jpg");
}

TEST(MakeArticle, ImageProxyOnlyWhenConfigured) {
  FeedItem item;
  item.title = "代理";
  item.link = "https://example.com/a";
  item.html = "<img src=\"http://img.example.com/a.png\">";
  Context ctx = context({}, "");
  EXPECT_EQ(make_article(item, ctx)->image, std::string(kProxy) + "http://img.example.com/a.png");
  ctx.image_proxy.clear();
  const std::optional<Article> a = make_article(item, ctx);
  EXPECT_EQ(a->image, "http://img.example.com/a.png");
  EXPECT_NE(a->html.find("referrerpolicy=\"no-referrer\""), std::string::npos) << a->html;
}

// Enclosure types reach Atom's link/@type, which the W3C Feed Validator and RFC 4287's schema
// check: only MIME types pass.
TEST(IsMimeType, Table) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"audio/mpeg", true},
      {"application/vnd.ms-excel", true},
      {"audio/ogg; codecs=opus", true},
      {"text/plain;charset=\"utf-8\"", true},
      {"text/plain; a=\"q\\\"x\"", true},
      {"", false},
      {"audio", false},
      {"audio/", false},
      {"/mpeg", false},
      {"audio/mpeg;", false},
      {"audio/mpeg; codecs", false},
      {"audio/mpeg; a=\"unterminated", false},
      {"audio /mpeg", false},
      {"a & b <c> \"d\"", false},
      {"音频/mpeg", false},
      {"audio/mp\x01eg", false},
  };
  for (const auto& [type, want] : cases)
    EXPECT_EQ(is_mime_type(type), want) << type;
}

TEST(MakeArticle, ImageMappingReachesBodyAndFrontMatter) {
  FeedItem item;
  item.title = "下载的图片";
  item.link = "https://example.com/x/y.html";
  item.html = "<p><img src=\"img/a.jpg\"><img src=\"http://other.test/b.png\"></p>";
  Context ctx = context({}, "");
  std::vector<std::string> images;
  ctx.image_url = [&](const std::string& url) -> std::optional<std::string> {
    images.push_back(url);
    if (url == "https://example.com/x/img/a.jpg")
      return "/images/0123456789abcdef0123456789abcdef.jpg";
    return std::nullopt;
  };
  const auto a = make_article(item, ctx);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->image, "/images/0123456789abcdef0123456789abcdef.jpg");
  EXPECT_EQ(images, (std::vector<std::string>{"https://example.com/x/img/a.jpg",
                                              "http://other.test/b.png"}));
  EXPECT_NE(a->html.find("src=\"/images/0123456789abcdef0123456789abcdef.jpg\""), std::string::npos)
      << a->html;
  // The site path survives the article file both ways.
  const std::string file = render_article_file(*a);
  EXPECT_NE(file.find("headimg: '/images/0123456789abcdef0123456789abcdef.jpg'"), std::string::npos)
      << file;
  const ReadResult back = read_article_file(file, "a.md");
  ASSERT_TRUE(back.article) << back.error;
  EXPECT_EQ(back.article->image, "/images/0123456789abcdef0123456789abcdef.jpg");
}

}  // namespace
}  // namespace feedd::article
