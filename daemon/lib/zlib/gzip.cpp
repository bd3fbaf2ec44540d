#include "lib/zlib/gzip.hpp"

#include <zlib.h>

#include <cstddef>
#include <limits>

namespace feedd::lib {

namespace {

// A gzip z_stream for one direction; its End function runs on every path once Init succeeded.
class GzipStream {
 public:
  enum class Mode { kDeflate, kInflate };
  explicit GzipStream(Mode mode) : mode_(mode) {
    // 15 + 16: a 32 KiB window with the gzip wrapper (RFC 1952), not zlib's.
    ok_ =
        (mode == Mode::kDeflate ? deflateInit2(&zs_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
                                : inflateInit2(&zs_, 15 + 16)) == Z_OK;
  }
  ~GzipStream() {
    if (!ok_) return;
    if (mode_ == Mode::kDeflate) {
      deflateEnd(&zs_);
    } else {
      inflateEnd(&zs_);
    }
  }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  bool ok() const { return ok_; }
  z_stream* get() { return &zs_; }

 private:
  Mode mode_;
  z_stream zs_{};
  bool ok_ = false;
};

}  // namespace

std::optional<std::string> gzip_decompress(std::string_view gz, std::size_t size) {
  if (gz.size() > std::numeric_limits<uInt>::max() || size >= std::numeric_limits<uInt>::max()) {
    return std::nullopt;
  }
  GzipStream d(GzipStream::Mode::kInflate);
  if (!d.ok()) return std::nullopt;
  z_stream* zs = d.get();
  // One byte of room more than expected: a member that inflates to more shows as output left
  // over instead of Z_STREAM_END.
  std::string out(size + 1, '\0');
  zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs->avail_in = static_cast<uInt>(gz.size());
  zs->next_out = reinterpret_cast<Bytef*>(out.data());
  zs->avail_out = static_cast<uInt>(out.size());
  if (inflate(zs, Z_FINISH) != Z_STREAM_END || zs->total_out != size || zs->avail_in != 0) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::optional<std::string> gzip_compress(std::string_view data) {
  if (data.size() > std::numeric_limits<uInt>::max() / 2) return std::nullopt;
  GzipStream d(GzipStream::Mode::kDeflate);
  if (!d.ok()) return std::nullopt;
  z_stream* zs = d.get();
  // deflateBound is an upper limit for one Z_FINISH call, so a single call always finishes.
  std::string out(deflateBound(zs, static_cast<uLong>(data.size())), '\0');
  // zlib's API is not const-correct; it never writes through next_in.
  zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs->avail_in = static_cast<uInt>(data.size());
  zs->next_out = reinterpret_cast<Bytef*>(out.data());
  zs->avail_out = static_cast<uInt>(out.size());
  if (deflate(zs, Z_FINISH) != Z_STREAM_END) return std::nullopt;
  out.resize(zs->total_out);
  // The bound is about the input's size: a daemon keeps every feed compressed, and without
  // this each kept the capacity of its uncompressed bytes.
  out.shrink_to_fit();
  return out;
}

}  // namespace feedd::lib
