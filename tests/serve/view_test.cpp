#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "serve/http.hpp"
#include "serve/http_date.hpp"

namespace feedd::serve {
namespace {

using namespace std::chrono_literals;

struct PathCase {
  std::string raw;
  std::string expected;  // "" = rejected
};

TEST(DecodePath, Table) {
  const std::vector<PathCase> cases = {
      {"/", "/"},
      {"/feeds/all.xml", "/feeds/all.xml"},
      {"/feeds/xinmeiti/zaker.xml", "/feeds/xinmeiti/zaker.xml"},
      {"/feeds/", "/feeds/"},
      {"/a%20b", "/a b"},
      {"/%E6%96%B0", "/\xE6\x96\xB0"},
      {"/%e6%96%b0", "/\xE6\x96\xB0"},
      {"/a+b", "/a+b"},
      {"/...", "/..."},
      {"/a..b/.c", "/a..b/.c"},
      {"/feeds%2Fall.xml", "/feeds/all.xml"},
      // Malformed or unsafe: every spelling of a traversal is refused.
      {"", ""},
      {"feeds/all.xml", ""},
      {"http://host/feeds/all.xml", ""},
      {"/..", ""},
      {"/.", ""},
      {"/feeds/../etc/passwd", ""},
      {"/feeds/./all.xml", ""},
      {"/feeds/..", ""},
      {"/%2e%2e/etc/passwd", ""},
      {"/%2E%2E/etc/passwd", ""},
      {"/.%2e/x", ""},
      {"/%2e./x", ""},
      {"/%2e/x", ""},
      {"/feeds%2f..%2fsecret", ""},
      {"/feeds%2F%2E%2E%2Fsecret", ""},
      {"/feeds/%2f/x", ""},
      {"/feeds%2f", "/feeds/"},
      {"//etc/passwd", ""},
      {"/feeds//all.xml", ""},
      {"/feeds\\..\\x", ""},
      {"/feeds%5c..%5cx", ""},
      {"/feeds%5Cx", ""},
      {"/a%00b", ""},
      {"/a%0ab", ""},
      {"/a%0D%0Ab", ""},
      {"/a%7fb", ""},
      {"/a%", ""},
      {"/a%4", ""},
      {"/a%zz", ""},
      {"/a%4g", ""},
      {"/a%%41", ""},
      {"/%252e%252e/x", "/%2e%2e/x"},  // decoded once only: the result is a literal name
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_path(c.raw), c.expected) << "raw: " << c.raw;
  }
}

TEST(IsLoopbackAddress, Table) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"127.0.0.1", true},
      {"127.255.1.2", true},
      {"::1", true},
      {"::ffff:127.0.0.1", true},
      {"::ffff:127.9.9.9", true},
      {"10.0.0.1", false},
      {"128.0.0.1", false},
      {"::ffff:10.0.0.1", false},
      {"::2", false},
      {"0.0.0.0", false},
      {"::", false},
      {"", false},
      {"localhost", false},
      {"127.0.0.1 ", false},
  };
  for (const auto& [address, loopback] : cases) {
    EXPECT_EQ(is_loopback_address(address), loopback) << address;
  }
}

TEST(ParseHttpDate, ImfFixdateOnly) {
  using std::chrono::sys_days;
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            sys_days{std::chrono::year{1994} / 11 / 6} + 8h + 49min + 37s);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"), std::nullopt);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 +0000"), std::nullopt);
  EXPECT_EQ(parse_http_date(""), std::nullopt);
  EXPECT_EQ(parse_http_date("garbage"), std::nullopt);
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

const std::chrono::sys_seconds kModified =
    std::chrono::sys_days{std::chrono::year{2021} / 5 / 21} + 14h;

std::string sample_body() {
  std::string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed>";
  for (int i = 0; i < 50; ++i)
    body += "<entry><title>entry " + std::to_string(i) + "</title></entry>";
  body += "</feed>\n";
  return body;
}

View sample_view() {
  return make_view("application/atom+xml; charset=utf-8", sample_body(), kModified);
}

// A daemon holds every feed: only the compressed bytes stay in memory.
TEST(MakeView, KeepsOnlyTheCompressedBytes) {
  const View v = sample_view();
  EXPECT_EQ(v.size, sample_body().size());
  EXPECT_TRUE(v.body.empty());
  EXPECT_EQ(identity_body(v), sample_body());
  const View empty = make_view("text/plain", "", kModified);
  EXPECT_EQ(empty.size, 0u);
  EXPECT_EQ(identity_body(empty), "");
}

TEST(MakeView, EtagAndGzip) {
  const View v = sample_view();
  ASSERT_EQ(v.etag.size(), 34u);
  EXPECT_EQ(v.etag.front(), '"');
  EXPECT_EQ(v.etag.back(), '"');
  EXPECT_EQ(v.etag.find_first_not_of("0123456789abcdef", 1), 33u);
  // sha256("") starts e3b0c442…: the tag is the hash's first 32 hex digits.
  EXPECT_EQ(make_view("text/plain", "", kModified).etag, "\"e3b0c44298fc1c149afbf4c8996fb924\"");
  EXPECT_EQ(v.last_modified, kModified);
  EXPECT_LT(v.gzip_body.size(), v.size);
  EXPECT_EQ(gunzip(v.gzip_body), sample_body());
  EXPECT_NE(make_view("x", "other", kModified).etag, v.etag);
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

Request request(std::string method, std::map<std::string, std::string> headers = {}) {
  Request r;
  r.method = std::move(method);
  r.target = r.path = "/feeds/all.xml";
  r.headers = std::move(headers);
  return r;
}

struct ServeCase {
  std::string name;
  Request request;
  int status;
  bool gzip;  // body is the gzip body (only checked for 200)
};

TEST(ServeView, Table) {
  const View v = sample_view();
  const std::string lm = "Fri, 21 May 2021 14:00:00 GMT";
  const std::string opaque = v.etag.substr(1, 32);
  const std::vector<ServeCase> cases = {
      {"plain GET", request("GET"), 200, false},
      {"HEAD", request("HEAD"), 200, false},
      {"etag match", request("GET", {{"if-none-match", v.etag}}), 304, false},
      {"etag match HEAD", request("HEAD", {{"if-none-match", v.etag}}), 304, false},
      {"weak etag match", request("GET", {{"if-none-match", "W/" + v.etag}}), 304, false},
      {"etag in list", request("GET", {{"if-none-match", "\"abc\", W/\"def\" ," + v.etag}}), 304,
       false},
      {"gzip etag matches", request("GET", {{"if-none-match", "\"" + opaque + "-gzip\""}}), 304,
       false},
      {"star", request("GET", {{"if-none-match", "*"}}), 304, false},
      {"etag mismatch", request("GET", {{"if-none-match", "\"abc\""}}), 200, false},
      {"unquoted etag", request("GET", {{"if-none-match", opaque}}), 200, false},
      {"etag mismatch beats date",
       request("GET", {{"if-none-match", "\"abc\""}, {"if-modified-since", lm}}), 200, false},
      {"same date", request("GET", {{"if-modified-since", lm}}), 304, false},
      {"later date", request("GET", {{"if-modified-since", "Sat, 22 May 2021 00:00:00 GMT"}}), 304,
       false},
      {"earlier date", request("GET", {{"if-modified-since", "Fri, 21 May 2021 13:59:59 GMT"}}),
       200, false},
      {"bad date", request("GET", {{"if-modified-since", "yesterday"}}), 200, false},
      {"gzip", request("GET", {{"accept-encoding", "gzip, deflate, br"}}), 200, true},
      {"gzip q", request("GET", {{"accept-encoding", "br;q=1.0, gzip;q=0.5"}}), 200, true},
      {"x-gzip", request("GET", {{"accept-encoding", "x-gzip"}}), 200, true},
      {"GZIP uppercase", request("GET", {{"accept-encoding", "GZIP"}}), 200, true},
      {"gzip q=0", request("GET", {{"accept-encoding", "gzip;q=0"}}), 200, false},
      {"gzip q=0.000", request("GET", {{"accept-encoding", "gzip; q=0.000, br"}}), 200, false},
      {"star", request("GET", {{"accept-encoding", "*"}}), 200, true},
      {"star but not gzip", request("GET", {{"accept-encoding", "*, gzip;q=0"}}), 200, false},
      {"identity", request("GET", {{"accept-encoding", "identity"}}), 200, false},
      {"gzip HEAD", request("HEAD", {{"accept-encoding", "gzip"}}), 200, true},
      {"gzipped not a substring", request("GET", {{"accept-encoding", "gzipped"}}), 200, false},
      {"POST", request("POST"), 405, false},
      {"DELETE", request("DELETE"), 405, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Response r = serve_view(v, c.request);
    EXPECT_EQ(r.status, c.status);
    if (c.status == 405) {
      EXPECT_EQ(header(r, "Allow"), "GET, HEAD");
      continue;
    }
    EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
    EXPECT_EQ(header(r, "Last-Modified"), lm);
    if (c.status == 304) {
      EXPECT_TRUE(r.body.empty());
      EXPECT_EQ(header(r, "ETag"), v.etag);
      continue;
    }
    EXPECT_EQ(header(r, "Content-Type"), "application/atom+xml; charset=utf-8");
    if (c.gzip) {
      EXPECT_EQ(header(r, "Content-Encoding"), "gzip");
      EXPECT_EQ(header(r, "ETag"), "\"" + opaque + "-gzip\"");
      EXPECT_EQ(gunzip(r.body), sample_body());
    } else {
      EXPECT_EQ(header(r, "Content-Encoding"), "<absent>");
      EXPECT_EQ(header(r, "ETag"), v.etag);
      // HEAD keeps the body: the server sends only its length.
      EXPECT_EQ(r.body, sample_body());
    }
  }
}

TEST(PlainResponses, TextAndJson) {
  const Response t = text_response(404, "not found");
  EXPECT_EQ(t.status, 404);
  EXPECT_EQ(t.body, "not found\n");
  EXPECT_EQ(header(t, "Content-Type"), "text/plain; charset=utf-8");
  const Response j = json_response(202, R"({"ok":true})");
  EXPECT_EQ(j.status, 202);
  EXPECT_EQ(j.body, R"({"ok":true})");
  EXPECT_EQ(header(j, "Content-Type"), "application/json");
}

}  // namespace
}  // namespace feedd::serve

namespace feedd::serve {
namespace {

class ImageFolder {
 public:
  ImageFolder()
      : path_(std::filesystem::temp_directory_path() /
              ("feedd-serve-images-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_ / "images");
    std::ofstream(path_ / "images" / kName, std::ios::binary) << kBytes;
    std::ofstream(path_ / "secret.txt") << "not an image";
    std::ofstream(path_ / "images" / "index.html") << "<script>";
  }
  ~ImageFolder() { std::filesystem::remove_all(path_); }
  std::filesystem::path images() const { return path_ / "images"; }

  static constexpr const char* kName = "0123456789abcdef0123456789abcdef.png";
  static constexpr const char* kBytes = "\x89PNG\r\n\x1a\n fake png";

 private:
  std::filesystem::path path_;
};

Request get(std::string method = "GET") {
  Request r;
  r.method = std::move(method);
  return r;
}

std::string image_header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(ServeImageFile, ServesOnlyImageFileNamesWithImmutableCaching) {
  const ImageFolder folder;
  const Response ok = serve_image_file(folder.images(), ImageFolder::kName, get());
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, ImageFolder::kBytes);
  EXPECT_EQ(image_header(ok, "Content-Type"), "image/png");
  EXPECT_EQ(image_header(ok, "ETag"), "\"0123456789abcdef0123456789abcdef\"");
  EXPECT_EQ(image_header(ok, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(image_header(ok, "X-Content-Type-Options"), "nosniff");

  Request conditional = get();
  conditional.headers["if-none-match"] = "W/\"0123456789abcdef0123456789abcdef\"";
  const Response not_modified = serve_image_file(folder.images(), ImageFolder::kName, conditional);
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  conditional.headers["if-none-match"] = "\"\"";
  EXPECT_EQ(serve_image_file(folder.images(), ImageFolder::kName, conditional).status, 200);

  for (const char* name : {"index.html", "../secret.txt", "..", "",
                           "0123456789abcdef0123456789abcdee.png",  // absent
                           "0123456789abcdef0123456789abcdef.svg"}) {
    EXPECT_EQ(serve_image_file(folder.images(), name, get()).status, 404) << name;
  }
  EXPECT_EQ(serve_image_file(folder.images(), ImageFolder::kName, get("POST")).status, 405);
  EXPECT_EQ(serve_image_file(folder.images(), ImageFolder::kName, get("HEAD")).status, 200);
}

}  // namespace
}  // namespace feedd::serve
