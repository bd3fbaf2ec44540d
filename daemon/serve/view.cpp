#include "serve/http.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "lib/crypto/sha256.hpp"
#include "lib/zlib/gzip.hpp"
#include "serve/http_date.hpp"
#include "util/ascii.hpp"
#include "util/image_name.hpp"
#include "util/time.hpp"

namespace feedd::serve {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

const std::string* find_header(const Request& r, const std::string& lower_name) {
  auto it = r.headers.find(lower_name);
  return it == r.headers.end() ? nullptr : &it->second;
}

// The qvalue grammar (RFC 9110 §12.4.2): "0", "0.", "0.000" mean "not acceptable"; anything
// else that parses is positive. nullopt for garbage.
std::optional<bool> qvalue_positive(std::string_view q) {
  if (q.empty() || q.size() > 5) return std::nullopt;
  if (q[0] == '1') {
    for (char c : q.substr(1)) {
      if (c != '.' && c != '0') return std::nullopt;
    }
    return true;
  }
  if (q[0] != '0') return std::nullopt;
  bool positive = false;
  for (std::size_t i = 1; i < q.size(); ++i) {
    if (i == 1 && q[i] == '.') continue;
    if (i == 1 || !std::isdigit(static_cast<unsigned char>(q[i]))) return std::nullopt;
    positive = positive || q[i] != '0';
  }
  return positive;
}

bool accepts_gzip(const Request& r) {
  const std::string* ae = find_header(r, "accept-encoding");
  if (!ae) return false;
  std::optional<bool> gzip, star;
  std::string_view rest = *ae;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view element = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    std::size_t semi = element.find(';');
    std::string_view coding = trim(element.substr(0, semi));
    std::optional<bool> ok = true;
    while (semi != std::string_view::npos) {
      element.remove_prefix(semi + 1);
      semi = element.find(';');
      std::string_view param = trim(element.substr(0, semi));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        ok = qvalue_positive(trim(param.substr(2)));
      }
    }
    if (!ok) continue;  // a malformed qvalue: ignore the element rather than guess
    if (ascii_iequals(coding, "gzip") || ascii_iequals(coding, "x-gzip")) {
      gzip = *ok;
    } else if (coding == "*") {
      star = *ok;
    }
  }
  return gzip ? *gzip : star.value_or(false);
}

// If-None-Match is a list of entity tags or "*"; matching is weak (RFC 9110 §13.1.2): the W/
// prefix is ignored. Either representation's tag (identity or gzip) matches, since both
// name the same content.
bool none_match_hits(std::string_view header, std::string_view opaque_identity,
                     std::string_view opaque_gzip) {
  std::string_view s = header;
  while (true) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == ',')) {
      s.remove_prefix(1);
    }
    if (s.empty()) return false;
    if (s.front() == '*') return true;
    if (s.size() >= 2 && s[0] == 'W' && s[1] == '/') s.remove_prefix(2);
    if (s.empty() || s.front() != '"') return false;
    std::size_t close = s.find('"', 1);
    if (close == std::string_view::npos) return false;
    std::string_view opaque = s.substr(1, close - 1);
    if (!opaque_identity.empty() && (opaque == opaque_identity || opaque == opaque_gzip)) {
      return true;
    }
    s.remove_prefix(close + 1);
  }
}

}  // namespace

View make_view(std::string content_type, std::string body, std::chrono::sys_seconds modified) {
  View v;
  v.content_type = std::move(content_type);
  v.etag.reserve(34);
  v.etag += '"';
  v.etag += std::string_view(lib::sha256_hex(body)).substr(0, 32);
  v.etag += '"';
  v.last_modified = modified;
  v.size = body.size();
  if (!body.empty()) {
    if (auto gz = lib::gzip_compress(body)) v.gzip_body = std::move(*gz);
  }
  if (v.gzip_body.empty()) v.body = std::move(body);
  return v;
}

std::string identity_body(const View& view) {
  if (view.gzip_body.empty()) return view.body;
  // Our own compression of a known size: failing would be a bug, and an empty body beats a
  // crash of the server.
  return lib::gzip_decompress(view.gzip_body, view.size).value_or(std::string());
}

Response serve_view(const View& view, const Request& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = text_response(405, "method not allowed");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const bool gzip = !view.gzip_body.empty() && accepts_gzip(request);

  // A strong ETag names exact bytes, so the gzip representation gets its own tag.
  std::string_view opaque_identity;
  std::string opaque_gzip;
  if (view.etag.size() >= 2 && view.etag.front() == '"' && view.etag.back() == '"') {
    opaque_identity = std::string_view(view.etag).substr(1, view.etag.size() - 2);
    opaque_gzip = std::string(opaque_identity) + "-gzip";
  }
  const bool has_date = view.last_modified != std::chrono::sys_seconds{};

  Response r;
  if (!opaque_identity.empty()) {
    r.headers.emplace_back("ETag", gzip ? "\"" + opaque_gzip + "\"" : view.etag);
  }
  if (has_date) r.headers.emplace_back("Last-Modified", format_rfc822_gmt(view.last_modified));
  // Readers must revalidate each time; with validators that costs a 304.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Vary", "Accept-Encoding");

  bool not_modified = false;
  if (const std::string* inm = find_header(request, "if-none-match")) {
    // When If-None-Match is present If-Modified-Since is ignored (RFC 9110 §13.1.3).
    not_modified = none_match_hits(*inm, opaque_identity, opaque_gzip);
  } else if (const std::string* ims = find_header(request, "if-modified-since"); ims && has_date) {
    auto since = parse_http_date(*ims);
    not_modified = since && view.last_modified <= *since;
  }
  if (not_modified) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.headers.emplace(r.headers.begin(), "Content-Type", view.content_type);
  if (gzip) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = view.gzip_body;
  } else {
    r.body = identity_body(view);
  }
  return r;
}

Response serve_image_file(const std::filesystem::path& folder, std::string_view name,
                          const Request& request) {
  constexpr std::uintmax_t kMaxImageFileBytes = 64u << 20;
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = text_response(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (!is_image_file_name(name)) return text_response(404, "not found\n");
  const std::string_view hash = name.substr(0, name.find('.'));
  const std::string_view ext = name.substr(name.find('.') + 1);
  const std::filesystem::path path = folder / std::string(name);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxImageFileBytes || !std::filesystem::is_regular_file(path, ec)) {
    return text_response(404, "not found\n");
  }
  Response r;
  r.headers.emplace_back("ETag", "\"" + std::string(hash) + "\"");
  // The URL names the bytes: they never change.
  r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  if (const std::string* inm = find_header(request, "if-none-match");
      inm && none_match_hits(*inm, hash, hash)) {
    r.status = 304;
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  std::string body(static_cast<std::size_t>(size), '\0');
  if (!in.read(body.data(), static_cast<std::streamsize>(body.size()))) {
    return text_response(404, "not found\n");
  }
  const char* type = ext == "jpg"    ? "image/jpeg"
                     : ext == "png"  ? "image/png"
                     : ext == "gif"  ? "image/gif"
                     : ext == "webp" ? "image/webp"
                                     : "image/avif";
  r.headers.emplace(r.headers.begin(), "Content-Type", type);
  r.status = 200;
  r.body = std::move(body);
  return r;
}

std::string decode_path(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') return "";
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return "";
      int hi = hex_value(raw[i + 1]);
      int lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) return "";
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    const auto u = static_cast<unsigned char>(c);
    // Control characters (NUL first) and backslashes have no place in a path we serve, and
    // some of them change meaning in logs or on other systems.
    if (u < 0x20 || u == 0x7f || c == '\\') return "";
    out += c;
  }
  // Segments are checked after decoding, so "%2e%2e" and a "%2f" that creates a new segment
  // are caught the same as their plain spellings.
  std::size_t start = 1;
  while (start <= out.size()) {
    std::size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    std::string_view seg = std::string_view(out).substr(start, end - start);
    if (seg == "." || seg == "..") return "";
    if (seg.empty() && end != out.size()) return "";  // "//"
    start = end + 1;
  }
  return out;
}

Response text_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  if (body.empty() || body.back() != '\n') body += '\n';
  r.body = std::move(body);
  return r;
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

}  // namespace feedd::serve
