#include "lib/curl/url.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace feedd::lib {
namespace {

std::string show(const std::optional<std::string>& s) {
  return s ? *s : "nullopt";
}

constexpr std::string_view kBase = "https://example.com/a/b/c.html?x=1#frag";

struct ResolveCase {
  std::string_view base;
  std::string_view ref;
  const char* want;  // nullptr = nullopt
};

void run(const std::vector<ResolveCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "base \"" << c.base << "\" ref \"" << c.ref << "\"");
    EXPECT_EQ(show(resolve_url(c.base, c.ref)), c.want ? c.want : "nullopt");
  }
}

TEST(ResolveUrl, RelativeReferences) {
  run({
      {kBase, "d.png", "https://example.com/a/b/d.png"},
      {kBase, "./d.png", "https://example.com/a/b/d.png"},
      {kBase, "../d.png", "https://example.com/a/d.png"},
      {kBase, "../../d.png", "https://example.com/d.png"},
      {kBase, "../../../../d.png", "https://example.com/d.png"},  // cannot climb above the root
      {kBase, "/root.png", "https://example.com/root.png"},
      {kBase, "//cdn.example.org/i.png", "https://cdn.example.org/i.png"},  // protocol-relative
      {"http://example.com/feed", "//cdn.example.org/i.png", "http://cdn.example.org/i.png"},
      {kBase, "?q=2", "https://example.com/a/b/c.html?q=2"},  // query only
      {kBase, "d.png?w=100#x", "https://example.com/a/b/d.png?w=100#x"},
      {"https://example.com", "d.png", "https://example.com/d.png"},  // base without a path
      {"https://example.com:8443/feed/", "item/1", "https://example.com:8443/feed/item/1"},
      {"file:///srv/feeds/feed.xml", "img/x.png", "file:///srv/feeds/img/x.png"},
  });
}

TEST(ResolveUrl, AbsoluteReferenceIgnoresBase) {
  run({
      {kBase, "http://other.org/x", "http://other.org/x"},
      {kBase, "HTTPS://other.org/x", "https://other.org/x"},  // scheme normalised
      {kBase, "http://[::1]:8080/x", "http://[::1]:8080/x"},
      {"not a url", "https://other.org/x", "https://other.org/x"},
      {"", "https://other.org/x", "https://other.org/x"},
  });
}

TEST(ResolveUrl, BadBaseOrBadResult) {
  run({
      {"", "d.png", nullptr},
      {"not a url", "d.png", nullptr},
      {"/relative/path", "d.png", nullptr},
      {"//example.com/x", "d.png", nullptr},
      {kBase, "http://", nullptr},
      {kBase, "d.png\r\nX-Injected: 1", nullptr},
      {kBase, "line\nbreak", nullptr},
  });
}

// curl 7.88 resolved "#f" and "" like ".", dropping the document name and query; RFC 3986 §5.2.2
// keeps both, so in-page anchors of an article pointed at its folder instead of the article.
TEST(ResolveUrl, FragmentOnlyAndEmptyReferencesKeepBasePathAndQuery) {
  run({
      {kBase, "#top", "https://example.com/a/b/c.html?x=1#top"},
      {"https://example.com/post", "#comments", "https://example.com/post#comments"},
      {kBase, "", "https://example.com/a/b/c.html?x=1"},
  });
}

// std::string::c_str() stopped curl at an embedded NUL, so "a.png\0…" silently became "a.png".
TEST(ResolveUrl, EmbeddedNulIsRejectedNotTruncated) {
  run({
      {kBase, std::string_view("d.png\0evil", 10), nullptr},
      {kBase, std::string_view("http://ok.org/\0evil", 19), nullptr},
  });
}

TEST(IsFetchableUrl, OnlyHttpHttpsAndFile) {
  const std::vector<std::pair<std::string_view, bool>> cases = {
      {"http://example.com/feed", true},
      {"https://example.com", true},
      {"HTTPS://EXAMPLE.COM/rss", true},
      {"file:///srv/feed.xml", true},
      {"http://127.0.0.1:8080/x", true},
      {"ftp://example.com/feed", false},
      {"gopher://example.com", false},
      {"mailto:someone@example.com", false},
      {"javascript:alert(1)", false},
      {"example.com/feed", false},
      {"/local/path.xml", false},
      {"", false},
      {"http://", false},
  };
  for (const auto& [url, want] : cases)
    EXPECT_EQ(is_fetchable_url(url), want) << url;
}

TEST(RedactUrl, RemovesUserAndPassword) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"https://user:secret@example.com/feed?x=1", "https://example.com/feed?x=1"},
      {"https://user@example.com/feed", "https://example.com/feed"},
      {"https://user:secret@example.com", "https://example.com/"},
      {"ftp://user:secret@example.com/f", "ftp://example.com/f"},
      {"https://example.com/p@q", "https://example.com/p@q"},  // '@' in the path is not a login
      {"https://example.com/feed", "https://example.com/feed"},
      // Unparseable: everything up to the last '@' of the authority is masked.
      {"http://user:secret@bad host/x", "http://***@bad host/x"},
      {"not a url", "not a url"},
  };
  for (const auto& [url, want] : cases) {
    EXPECT_EQ(redact_url(url), want) << url;
    EXPECT_EQ(redact_url(url).find("secret"), std::string::npos) << url;
  }
}

// Issue 12: RSSHub's key= (and the other credential parameters) leaked into logs, the status
// page, atom:source and the OPML file, which all write redact_url()'s output.
TEST(RedactUrl, RedactsSecretQueryParameters) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"https://rsshub.example/zaker/13?key=secret", "https://rsshub.example/zaker/13?key=***"},
      {"https://h.example/f?a=1&key=secret&b=2", "https://h.example/f?a=1&key=***&b=2"},
      {"https://h.example/f?code=secret", "https://h.example/f?code=***"},
      {"https://h.example/f?token=secret", "https://h.example/f?token=***"},
      {"https://h.example/f?access_key=secret", "https://h.example/f?access_key=***"},
      {"https://h.example/f?apikey=secret", "https://h.example/f?apikey=***"},
      {"https://h.example/f?KEY=secret&ApiKey=secret", "https://h.example/f?KEY=***&ApiKey=***"},
      // A server decodes the name: k%65y is key.
      {"https://h.example/f?k%65y=secret", "https://h.example/f?k%65y=***"},
      {"https://h.example/f?key=secret&key=secret2", "https://h.example/f?key=***&key=***"},
      {"https://u:secret@h.example/f?token=secret#frag", "https://h.example/f?token=***#frag"},
      // Names that only contain a secret one, and values that look like one, stay.
      {"https://h.example/f?monkey=1&keys=2&id=key", "https://h.example/f?monkey=1&keys=2&id=key"},
      {"https://h.example/f?key", "https://h.example/f?key"},
      {"https://h.example/f?key=", "https://h.example/f?key=***"},
      {"https://h.example/f", "https://h.example/f"},
      // Unparseable: the same on the text.
      {"http://bad host/x?key=secret#f", "http://bad host/x?key=***#f"},
      {"http://u:secret@bad host?token=secret", "http://***@bad host?token=***"},
  };
  for (const auto& [url, want] : cases) {
    EXPECT_EQ(redact_url(url), want) << url;
    EXPECT_EQ(redact_url(url).find("secret"), std::string::npos) << url;
  }
}

// Fetch errors may quote the URL or a part of it: the secrets of the URL go wherever they are.
TEST(RedactSecretsIn, EverySecretOfTheUrlInAMessage) {
  struct Case {
    std::string_view text, url, want;
  };
  const std::vector<Case> cases = {
      {"Failed to connect to u:pw@h", "http://u:pw@h.example/", "Failed to connect to ***@h"},
      {"bad password pw", "http://u:pw@h.example/", "bad password ***"},
      {"GET /a?key=s3c&x=1 failed", "http://h.example/a?key=s3c&x=1", "GET /a?key=***&x=1 failed"},
      // Over-redacting is the safe side: a secret is replaced wherever its bytes appear.
      {"token t0k3n, apikey a-k", "http://h.example/?token=t0k3n&apikey=a-k#key=frag",
       "token ***, apikey ***"},
      {"x=1 stays", "http://h.example/?x=1&key=", "x=1 stays"},
      {"nothing secret", "http://h.example/feed", "nothing secret"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(redact_secrets_in(std::string(c.text), c.url), c.want) << c.text;
}

TEST(WithQueryParameter, AppendsEncoded) {
  struct Case {
    std::string_view url, name, value;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"https://h.example/zaker/13", "key", "k1", "https://h.example/zaker/13?key=k1"},
      {"https://h.example/x?limit=5", "key", "k1", "https://h.example/x?limit=5&key=k1"},
      {"https://h.example/x", "key", "a b&c=d", "https://h.example/x?key=a+b%26c%3dd"},
      {"not a url", "key", "k1", std::nullopt},
  };
  for (const auto& c : cases)
    EXPECT_EQ(with_query_parameter(c.url, c.name, c.value), c.want) << c.url << " " << c.value;
}

TEST(UrlHost, LowerCaseHostOrEmpty) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"https://Example.COM/feed", "example.com"},
      {"http://user:pw@rsshub.app:8080/zaker/channel/13", "rsshub.app"},
      {"http://[::1]:8080/", "[::1]"},
      {"http://127.0.0.1/", "127.0.0.1"},
      {"file:///srv/feed.xml", ""},
      {"not a url", ""},
      {"", ""},
  };
  for (const auto& [url, want] : cases)
    EXPECT_EQ(url_host(url), want) << url;
}

// The URL contract: what may be written into front-matter, feeds, OPML and bodies.
TEST(WebUrl, AbsoluteHttpOnlyEscapedThroughCurl) {
  const std::vector<ResolveCase> cases = {
      // {base, url, want}
      {"", "https://example.com/a/b?x=1#f", "https://example.com/a/b?x=1#f"},
      {"", "HTTP://Example.COM/A", "http://example.com/A"},
      {"", "http://example.com", "http://example.com/"},
      {"", "  https://example.com/x  ", "https://example.com/x"},
      {"", "https://exa\tmple.com/x\n", "https://example.com/x"},
      {"", "http://example.com/\"><script>alert(1)</script>",
       "http://example.com/%22%3e%3cscript%3ealert(1)%3c/script%3e"},
      {"", "https://a.example/?http://example.com/\"onerror=alert(1)//",
       "https://a.example/?http://example.com/%22onerror=alert(1)//"},
      {"", "https://a.example/p q?r s#t `u`", "https://a.example/p%20q?r+s#t%20%60u%60"},
      {"", "https://a.example/{x}|^?\\y", "https://a.example/%7bx%7d%7c%5e?%5cy"},
      {"", "https://a.example/路径?中=文",
       "https://a.example/%e8%b7%af%e5%be%84?%e4%b8%ad=%e6%96%87"},
      {"", "https://例子.example/", nullptr},  // IDN: curl's punycode depends on the locale
      {"", "https://user:secret@a.example/x", "https://a.example/x"},
      // A backslash before the query is a slash to a browser: the host is evil.example.
      {"", "https://evil.example\\@player.example/", "https://evil.example/@player.example/"},
      {"", "https://a.example/p?q=\\x", "https://a.example/p?q=%5cx"},
      {"", "https://a.example/%20already", "https://a.example/%20already"},
      // Not http(s), not absolute, or no host: dropped.
      {"", "javascript:alert(1)", nullptr},
      {"", " JaVaScRiPt:alert(1)", nullptr},
      {"", "vbscript:msgbox(1)", nullptr},
      {"", "data:text/html,<script>alert(1)</script>", nullptr},
      {"", "data:image/png;base64,iVBORw0KGgo=", nullptr},
      {"", "mailto:a@example.com", nullptr},
      {"", "ftp://example.com/x", nullptr},
      {"", "file:///etc/passwd", nullptr},
      {"", "/relative/x.png", nullptr},
      {"", "", nullptr},
      {"", "   ", nullptr},
      {"", "http:///nohost", "http://nohost/"},  // as browsers read it
      {"", "http://", nullptr},
      {"", "https://a.example:99999/", nullptr},
      // Relative references are resolved against the base first.
      {"https://example.com/a/b.html", "c.png", "https://example.com/a/c.png"},
      {"https://example.com/a/b.html", "//cdn.example.org/i.png", "https://cdn.example.org/i.png"},
      {"https://example.com/a/b.html?q=1", "#sec", "https://example.com/a/b.html?q=1#sec"},
      {"https://example.com/a/b.html", "javascript:alert(1)", nullptr},
      {"file:///srv/feed.xml", "x.png", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "base \"" << c.base << "\" url \"" << c.ref << "\"");
    const auto got = web_url(c.ref, c.base);
    EXPECT_EQ(show(got), c.want ? c.want : "nullopt");
    if (got) {
      EXPECT_EQ(show(web_url(*got)), *got) << "not idempotent";
    }
  }
}

}  // namespace
}  // namespace feedd::lib

namespace feedd::lib {
namespace {

TEST(IsSitePath, OnlySafeRootPaths) {
  for (const char* ok : {"/", "/images/", "/images/0123abcd.jpg", "/a-b_c~d/e.f", "/x%20y"}) {
    EXPECT_TRUE(is_site_path(ok)) << ok;
  }
  for (const char* bad :
       {"", "images/", "//cdn.example/images/", "/../etc/passwd", "/a/../b", "/a b", "/a\"b",
        "/a'b", "/a<b", "/a?b", "/a#b", "/a%2", "/a%zz", "/a\\b", "https://x/", "/ü"}) {
    EXPECT_FALSE(is_site_path(bad)) << bad;
  }
  EXPECT_FALSE(is_site_path("/" + std::string(3000, 'a')));
}

}  // namespace
}  // namespace feedd::lib

// web_url's fast path: a URL already in the form curl writes back is returned without curl.
// These tests prove the two agree; they compare with detail::web_url_via_curl, the curl path.
namespace feedd::lib {
namespace {

TEST(IsCanonicalWebUrl, AcceptsOnlyCurlsOwnForm) {
  // clang-format off
  const std::vector<std::pair<std::string_view, bool>> cases = {
      {"http://example.com/", true},
      {"https://example.com/a/b.html?x=1&y=2#frag", true},
      {"http://zkres3.myzaker.com/202107/60ebd4a98e9f0928c44ba1d4_1024.jpg", true},
      {"http://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg", true},
      {"https://cors.zfour.workers.dev/?http://mmbiz.qpic.cn/mmbiz_png/x/640?wx_fmt=png", true},
      {"https://a-b.c0.example/%E4%B8%AD%e6?q=%20#%41", true},
      {"https://a.example/!$&'()*+,;=:@~_-.x", true},
      {"https://a.example/p?q=/../x&r=//y#/./z?w", true},  // dots and slashes after the path
      {"https://0x7f.example/", true},
      // Not curl's form, or unusual: left to curl.
      {"HTTP://example.com/", false},
      {"http://Example.com/", false},
      {"http://example.com", false},             // curl adds the "/"
      {"http://example.com?q", false},
      {"http://example.com:80/", false},
      {"http://example.com:8080/", false},
      {"http://user@example.com/", false},
      {"http://u:p@example.com/", false},
      {"http://127.0.0.1/", false},              // curl normalises IPv4
      {"http://1234/", false},
      {"http://a.0x7f/", false},
      {"http://[::1]/", false},
      {"http://example.com./", false},
      {"http://.example.com/", false},
      {"http://a..example/", false},
      {"http://a_b.example/", false},
      {"http://例子.example/", false},
      {"http://example.com/./a", false},
      {"http://example.com/a/../b", false},
      {"http://example.com/a/.", false},
      {"http://example.com/a/.hidden", false},
      {"http://example.com/%2e%2E/a", false},
      {"http://example.com//a", false},
      {"http://example.com/a//b", false},
      {"http://example.com/a b", false},
      {"http://example.com/a\tb", false},
      {" http://example.com/", false},
      {"http://example.com/a\\b", false},
      {"http://example.com/a\"b", false},
      {"http://example.com/<a>", false},
      {"http://example.com/`{}|^", false},
      {"http://example.com/[x]", false},
      {"http://example.com/%", false},
      {"http://example.com/%2", false},
      {"http://example.com/%zz", false},
      {"http://example.com/路", false},
      {"http://example.com/a#b#c", false},
      {"http://example.com/a?", false},          // curl drops an empty query
      {"http://example.com/a?#f", false},
      {"http://example.com/a#", false},          // and an empty fragment
      {"http://example.com/a?q#", false},
      {"ftp://example.com/", false},
      {"http:/example.com/", false},
      {"//example.com/", false},
      {"/a/b", false},
      {"", false},
  };
  // clang-format on
  for (const auto& [url, want] : cases) {
    EXPECT_EQ(detail::is_canonical_web_url(url), want) << url;
    if (want) {
      EXPECT_EQ(show(detail::web_url_via_curl(url)), url) << "curl writes it otherwise";
    }
    EXPECT_EQ(show(web_url(url)), show(detail::web_url_via_curl(url))) << url;
  }
  EXPECT_FALSE(detail::is_canonical_web_url("http://example.com/" + std::string(70000, 'a')));
}

// Realistic feed URLs, each mutated in one to three ways that curl may write differently.
std::vector<std::string> generated_urls(std::size_t count) {
  const std::vector<std::string> seeds = {
      "http://zkres1.myzaker.com/202107/60ebd4a98e9f0928c44ba1d4_1024.jpg",
      "http://zkres.myzaker.com/static/img/loading.gif",
      "http://mmbiz.qpic.cn/mmbiz_jpg/abcDEF123/640?wx_fmt=jpeg",
      "https://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOpQrStUv",
      "http://www.myzaker.com/article/60ebd4a98e9f0928c44ba1d4",
      "https://cors.zfour.workers.dev/?http://mmbiz.qpic.cn/mmbiz_png/x/640?wx_fmt=png",
      "https://example.com/a/b/c.html?x=1&y=%E4%B8%AD#sec-2",
      "https://cdn.example.org/img/photo_01.webp?w=640&h=480&fit=crop",
      "https://news.example.com/2021/07/12/story-title/",
      "https://rsshub.app/zaker/channel/13",
  };
  // clang-format off
  const std::vector<std::string> inserts = {
      " ", "\t", "\n", "\r", "\"", "'", "<", ">", "`", "{", "}", "|", "^", "[", "]", "\\",
      "%", "%2", "%zz", "%20", "%E4%B8%AD", "%2e", "%2E", "%00", "%2f", "%3F", "%23", "%25",
      "%7e", "/./", "/../", "/.", "/..", "//", "?", "#", "??", "##", "@", ":", ":80", "中",
      "\xFF", "\x80", "\x01", "\x7F", std::string(1, '\0'), "!", "$", "&", "(", ")", "*", "+",
      ",", ";", "=", "~", "_", "-", ".", "A", "Z", "0", "/.hidden", "?a=/../b", "#/./x"};
  const std::vector<std::string> hosts = {
      "127.0.0.1", "1.2.3", "0x7f.1", "1234", "010.0.0.1", "256.1.1.1", "[::1]",
      "[::FFFF:1.2.3.4]", "[fe80::1%25eth0]", "a.b.", ".a.b", "a..b", "EXAMPLE.com", "Ex.Com",
      "a_b.example", "xn--fsq.example", "例子.example", "user@h.example", "u:p@h.example",
      "@h.example", ":@h.example", "h.example:", "h.example:0", "h.example:80", "h.example:443",
      "h.example:99999", "h.example:8080", "h.example\\@evil.example", "a-.example", "-a.example",
      "a.1example", "a.b-c", std::string(70, 'l') + ".example", "h.example%2e", "h%41.example"};
  const std::vector<std::string> schemes = {
      "HTTP://", "Https://", "http:/", "http:", "//", "ftp://", "http:///", "https:\\\\",
      " http://", "javascript:", "HTTPS://"};
  // clang-format on
  std::mt19937 rng(20261206);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  std::vector<std::string> out(seeds);
  while (out.size() < count) {
    std::string u = seeds[pick(seeds.size())];
    const std::size_t mutations = 1 + pick(3);
    for (std::size_t m = 0; m < mutations; ++m) {
      const auto scheme_end = u.find("://");
      const auto host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
      auto host_end = u.find('/', host_start);
      if (host_end == std::string::npos) host_end = u.size();
      switch (pick(10)) {
        case 0:
        case 1:
        case 2: {  // insert something anywhere
          const std::string& s = inserts[pick(inserts.size())];
          u.insert(pick(u.size() + 1), s);
          break;
        }
        case 3:  // insert something in the path or after it
          u.insert(host_end + pick(u.size() - host_end + 1), inserts[pick(inserts.size())]);
          break;
        case 4:  // another host
          u.replace(host_start, host_end - host_start, hosts[pick(hosts.size())]);
          break;
        case 5:  // another scheme
          if (scheme_end != std::string::npos)
            u.replace(0, scheme_end + 3, schemes[pick(schemes.size())]);
          break;
        case 6:  // upper-case one character
          if (!u.empty()) {
            char& c = u[pick(u.size())];
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          }
          break;
        case 7:  // delete a character
          if (!u.empty()) u.erase(pick(u.size()), 1);
          break;
        case 8:  // empty path, or no path at all
          u.erase(host_end, pick(2) == 0 ? u.size() : u.find_first_of("?#", host_end) - host_end);
          break;
        case 9:  // long, now and then beyond the fast path's limit
          u.insert(host_end, "/" + std::string(pick(50) == 0 ? 70000 : 300, 'x'));
          break;
      }
    }
    out.push_back(std::move(u));
  }
  return out;
}

TEST(IsCanonicalWebUrl, CurlWritesEveryAcceptedUrlUnchanged) {
  constexpr std::size_t kCount = 120000;
  const std::vector<std::string> urls = generated_urls(kCount);
  std::size_t accepted = 0;
  for (const std::string& url : urls) {
    const bool canonical = detail::is_canonical_web_url(url);
    const auto via_curl = detail::web_url_via_curl(url);
    if (canonical) {
      ++accepted;
      ASSERT_EQ(show(via_curl), url) << "accepted but curl writes it otherwise";
    }
    // The whole of web_url (cleaning, then either path) agrees with curl, with a base too.
    ASSERT_EQ(show(web_url(url)), show(via_curl)) << url;
    if (url.size() % 7 == 0) {
      ASSERT_EQ(show(web_url(url, kBase)), show(detail::web_url_via_curl(url, kBase))) << url;
    }
  }
  // The unmutated seeds are ordinary feed URLs: the fast path must take every one.
  for (std::size_t i = 0; i < 10; ++i)
    EXPECT_TRUE(detail::is_canonical_web_url(urls[i])) << urls[i];
  // Many mutations (a '-' or 'A' in the path, a valid %XX) keep the form: a good share is taken.
  EXPECT_GT(accepted, urls.size() / 10);
  std::printf("fast path accepted %zu of %zu generated URLs (%.1f%%)\n", accepted, urls.size(),
              100.0 * static_cast<double>(accepted) / static_cast<double>(urls.size()));
}

}  // namespace
}  // namespace feedd::lib
