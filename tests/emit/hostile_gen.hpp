#pragma once
// Random render_atom / render_opml inputs made of hostile strings: C0 controls, NUL, invalid
// and truncated UTF-8, overlong forms, surrogates encoded as in CESU-8, U+FFFE/U+FFFF, "]]>",
// quotes, '&', CJK, empty and blank fields, missing optional fields. Deterministic for a seed.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "emit/emit.hpp"

namespace feedd::emit::testing {

class HostileGen {
 public:
  explicit HostileGen(std::uint32_t seed) : rng_(seed) {}

  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < percent; }

  // A string of `pieces` random pieces (0 → often empty).
  std::string text(int max_pieces = 12) {
    static constexpr std::string_view kPieces[] = {
        "plain",
        " ",
        "words here",
        "&",
        "&amp;",
        "<",
        ">",
        "<p>",
        "</p>",
        "\"",
        "'",
        "]]>",
        "]]",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\x01",
        std::string_view("\0", 1),
        "\x08",
        "\x0B",
        "\x0C",
        "\x1B[0m",
        "\x1F",
        "\x7F",
        "\xC2\x85",                  // NEL, a C1 control XML 1.0 allows
        "新媒体",                    // CJK
        " › ",                       // U+203A
        "\xF0\x9F\x98\x80",          // U+1F600
        "\xEF\xBF\xBE",              // U+FFFE
        "\xEF\xBF\xBF",              // U+FFFF
        "\xEF\xBF\xBD",              // U+FFFD
        "\xED\xA0\x80",              // lone high surrogate (CESU)
        "\xED\xB0\x80",              // lone low surrogate (CESU)
        "\xED\xA0\xBD\xED\xB8\x80",  // a CESU-8 pair
        "\x80",
        "\xBF",
        "\xE6\x96",          // truncated
        "\xF0\x9F\x98",      // truncated
        "\xC0\xAF",          // overlong
        "\xE0\x80\xAF",      // overlong
        "\xF4\x90\x80\x80",  // past U+10FFFF
        "\xF5\x80",
        "\xFE",
        "\xFF",
        "\xC2",
        "\xEF\xBF",
        "&#x1;",
        "&lt;script&gt;",
    };
    constexpr int kCount = static_cast<int>(std::size(kPieces));
    std::string s;
    const int n = below(max_pieces + 1);
    for (int i = 0; i < n; ++i) {
      if (chance(8)) {
        s.push_back(static_cast<char>(below(256)));  // any byte at all
      } else {
        s += kPieces[below(kCount)];
      }
    }
    return s;
  }

  // A URL that often passes lib::web_url, with hostile bits in its path and query.
  std::string url() {
    switch (below(8)) {
      case 0:
        return "";
      case 1:
        return "javascript:alert(1)";
      case 2:
        return text(4);
      case 3:
        return "https://example.com/a?x=1&y=\"2\"&z=<3>";
      default:
        return "https://example.com/" + text(3) + "?q=" + text(2) + "#" + text(1);
    }
  }

  std::string source_id() {
    switch (below(6)) {
      case 0:
        return "";
      case 1:
        return "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a";
      case 2:
        return "tag:example.com,2021:feed&x";
      case 3:
        return text(3);
      default:
        return url();
    }
  }

  std::chrono::sys_seconds instant() {
    if (chance(3)) return std::chrono::sys_seconds{};  // the epoch
    if (chance(2)) return std::chrono::sys_seconds{std::chrono::seconds{-40000000000LL}};  // 702
    // 1970 … 2100
    return std::chrono::sys_seconds{
        std::chrono::seconds{std::uniform_int_distribution<long long>(0, 4102444800LL)(rng_)}};
  }

  Entry entry(int index) {
    Entry e;
    article::Article& a = e.article;
    // Mostly distinct hex hashes; sometimes a repeat (render_atom drops it) or a hostile one.
    a.hash = chance(5) ? text(2) : "0123456789abc" + std::to_string(chance(10) ? 0 : index);
    a.title = chance(5) ? "" : text();
    for (int i = below(4); i > 0; --i)
      a.categories.push_back(text(3));
    a.author = chance(10) ? "" : text(3);
    a.creator = chance(50) ? "" : (chance(20) ? " \t" : text(3));
    a.date = instant();
    if (chance(30)) {
      a.updated = chance(50) ? a.date + std::chrono::seconds{below(100000)} : instant();
    }
    a.link = url();
    switch (below(6)) {
      case 0:
        a.html = "";
        break;
      case 1:
        a.html = " \n\t ";
        break;
      default:
        a.html = text(60);
    }
    if (chance(70)) a.summary = chance(10) ? " " : text(20);
    for (int i = below(4); i > 0; --i)
      a.tags.push_back(chance(20) ? " " : text(3));
    for (int i = below(4); i > 0; --i) {
      parse::Enclosure enc;
      enc.url = url();
      static constexpr std::string_view kTypes[] = {"audio/mpeg", "", "application/pdf",
                                                    "not a type", "video/mp4; codecs=\"x\""};
      enc.type = chance(20) ? text(2) : std::string(kTypes[below(5)]);
      if (chance(60)) enc.length = static_cast<std::uint64_t>(below(1 << 30));
      a.enclosures.push_back(enc);
    }
    if (chance(80)) {
      e.source = {chance(30) ? "" : text(4), url(), source_id(), url(), chance(20) ? "" : text(4)};
    }
    return e;
  }

  std::vector<Entry> entries() {
    std::vector<Entry> list;
    for (int i = below(7); i > 0; --i)
      list.push_back(entry(i));
    return list;
  }

  FeedNode node() {
    static constexpr std::string_view kPaths[] = {"", "xinmeiti", "xinmeiti/zaker/source",
                                                  "a:b/c%d/新", "x y/z?#"};
    FeedNode n;
    n.path = chance(20) ? text(3) : std::string(kPaths[below(5)]);
    n.title = text(4);
    n.file = chance(80) ? "feeds/" + n.path + ".xml" : text(3);
    n.depth = below(5);
    return n;
  }

  std::string base_url() {
    static constexpr std::string_view kBases[] = {"https://feeds.example.org/", "",
                                                  "http://127.0.0.1:8080/x/", "not a url"};
    return chance(15) ? url() : std::string(kBases[below(4)]);
  }

  std::vector<FeedNode> nodes() {
    std::vector<FeedNode> list;
    for (int i = below(12); i > 0; --i)
      list.push_back(node());
    return list;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace feedd::emit::testing
