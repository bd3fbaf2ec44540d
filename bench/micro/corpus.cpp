#include "corpus.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace feedd::bench {

const std::string& corpus_file(const std::string& name) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const std::string path = std::string(FEEDD_MICRO_CORPUS) + "/www/feeds/" + name;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in || bytes.str().empty()) throw std::runtime_error("cannot read " + path);
  return cache.emplace(name, bytes.str()).first->second;
}

parse::Options parse_options(const std::string& name) {
  parse::Options o;
  o.base_url = "http://127.0.0.1:8080/feeds/" + name;
  o.content_type = "text/xml";
  return o;
}

const std::vector<parse::FeedItem>& corpus_items(const std::string& name) {
  static std::map<std::string, std::vector<parse::FeedItem>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  auto r = parse::parse_feed(corpus_file(name), parse_options(name));
  if (!r.feed || r.feed->items.empty()) throw std::runtime_error(name + ": " + r.error);
  return cache.emplace(name, std::move(r.feed->items)).first->second;
}

}  // namespace feedd::bench
