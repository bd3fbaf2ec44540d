#pragma once
// gzip (RFC 1952) through zlib, for precompressed views. The z_stream never leaves
// lib/zlib/gzip.cpp.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace feedd::lib {

// The gzip-wrapped deflate of `data`; nullopt when zlib fails or `data` exceeds what one
// deflate call takes (4 GiB). Thread-safe; does not throw except std::bad_alloc.
std::optional<std::string> gzip_compress(std::string_view data);

// The data of a single gzip member that inflates to exactly `size` bytes; nullopt when `gz` is
// not that (corrupt, truncated, longer or shorter). Memory is bounded by `size`, whatever `gz`
// claims. Thread-safe; does not throw except std::bad_alloc.
std::optional<std::string> gzip_decompress(std::string_view gz, std::size_t size);

}  // namespace feedd::lib
