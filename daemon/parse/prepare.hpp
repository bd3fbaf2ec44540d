#pragma once
// The front step of parse_feed: raw bytes → UTF-8 text pugixml can load. Pure and thread-safe;
// never throws except std::bad_alloc; linear time in the input.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::parse {

struct Prepared {
  std::string xml;                    // UTF-8, no BOM, repaired as described at prepare()
  std::string error;                  // non-empty: nothing worth parsing ("empty body", ...)
  std::vector<std::string> warnings;  // charset choices, repairs
  std::string charset;                // what the body was decoded from: "UTF-8", "GB18030", ...
  bool truncated = false;             // the input ended inside the document
  std::size_t truncated_at = 0;       // when truncated: byte offset in the decoded text
  std::size_t open_at_end = 0;        // elements left open at the cut; `xml` closes them
};

// Elements nested deeper than this make the document an error (a bound for every later walk).
inline constexpr std::size_t kMaxDepth = 512;

// Charset: a non-empty `forced_charset` (a channel's `encoding:`) decides alone. Otherwise a
// BOM (UTF-8, UTF-16LE/BE) decides; otherwise a body that is valid UTF-8 stays UTF-8 whatever
// it declares; otherwise the XML declaration's encoding, then the charset of `content_type`,
// are tried with iconv (names as lib::iconv_charset maps them); failing both (absent, unknown
// or UTF-8), GB18030 (the superset of the GB2312/GBK such feeds use) when it decodes the body
// without an invalid sequence, or with ten times fewer than UTF-8; else UTF-8, invalid bytes
// becoming U+FFFD.
// Then one linear pass repairs what real feeds get wrong: leading white space, HTML named
// entities (→ characters), unknown entities and stray '&' (→ literal text), a '<' that cannot
// start markup (→ "&lt;"), unquoted attribute values (quoted), characters XML 1.0 forbids
// (removed), anything after the document element (dropped), end tags that skip open elements
// (the skipped ones are closed) or close nothing (dropped), comments, processing instructions
// and the DOCTYPE (dropped: its entities are never expanded), and a document cut off mid-way
// (the unfinished construct is dropped and open elements closed; see `open_at_end`).
// Errors: empty body, HTML page, not XML, nesting deeper than kMaxDepth.
Prepared prepare(std::string_view body, std::string_view content_type,
                 std::string_view forced_charset = {});

// The charset parameter of an HTTP Content-Type value; "" when there is none.
std::string charset_from_content_type(std::string_view content_type);

// The encoding named by an XML declaration at the start of `text`; "" when there is none.
std::string declared_encoding(std::string_view text);

}  // namespace feedd::parse
