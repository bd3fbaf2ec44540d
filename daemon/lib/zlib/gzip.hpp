#pragma once
// gzip (RFC 1952) through zlib, for precompressed views. The z_stream never leaves
// lib/zlib/gzip.cpp.
#include <optional>
#include <string>
#include <string_view>

namespace feedd::lib {

// The gzip-wrapped deflate of `data`; nullopt when zlib fails or `data` exceeds what one
// deflate call takes (4 GiB). Thread-safe; does not throw except std::bad_alloc.
std::optional<std::string> gzip_compress(std::string_view data);

}  // namespace feedd::lib
