#pragma once
// Documents for the micro-benchmarks: feeds written by bench/gen_corpus.py at build time
// (FEEDD_MICRO_CORPUS). Not thread-safe; call from benchmark bodies before timing starts.
#include <string>
#include <vector>

#include "parse/feed.hpp"

namespace feedd::bench {

// Bytes of www/feeds/<name> in the micro corpus. Throws std::runtime_error when unreadable,
// which aborts the benchmark binary: a benchmark over an empty document would measure nothing.
const std::string& corpus_file(const std::string& name);

inline const std::string kRssFile = "f0000.rss.xml";     // ZAKER-like, data-original images
inline const std::string kWechatFile = "f0001.rss.xml";  // WeChat-like, data-src images
inline const std::string kAtomFile = "f0002.atom.xml";   // Atom 1.0

parse::Options parse_options(const std::string& name);

// The items of a corpus feed, parsed once. Throws std::runtime_error when it does not parse.
const std::vector<parse::FeedItem>& corpus_items(const std::string& name);

}  // namespace feedd::bench
