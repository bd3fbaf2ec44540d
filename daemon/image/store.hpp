#pragma once
// The content-addressed image folder, `<output>/images/`: each accepted image is stored once,
// as `<first 32 hex digits of its SHA-256>.<ext>`, written atomically. The name is the only
// bookkeeping on disk; which articles reference which file is the store's (SQLite) business.
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "image/sniff.hpp"
#include "util/atomic_file.hpp"
#include "util/image_name.hpp"

namespace feedd::image {

// is_image_file_name (util/image_name.hpp) is true for exactly the names ImageStore writes;
// serving and pruning look at nothing else.
using feedd::is_image_file_name;

struct Stored {
  bool ok = false;
  std::string file;   // "<hash>.<ext>" when ok
  std::string error;  // "PATH: REASON" otherwise
};

// Thread-safe for concurrent put() calls (the same bytes twice write the same file twice, with
// the same result). Never throws.
class ImageStore {
 public:
  explicit ImageStore(std::filesystem::path folder) : folder_(std::move(folder)) {}

  const std::filesystem::path& folder() const { return folder_; }

  // Stores `bytes` (already sniffed as `type`) unless a file of that name exists; flushed to
  // disk before it returns.
  Stored put(std::string_view bytes, ImageType type) const;
  // put() in two halves, for many images at once: stage() writes the bytes under a temporary
  // name (nothing to do, `staged` left empty, when the file exists); publish() makes a batch
  // durable with one syncfs and renames each into place, setting `ok`/`error` of each.
  // Thread-safe for distinct files like put().
  struct Pending {
    Stored stored;      // file name; ok once published (or already there)
    StagedFile staged;  // staged() when there is something to rename
  };
  Pending stage(std::string_view bytes, ImageType type) const;
  static void publish(std::vector<Pending>& batch);
  // The name put() gives these bytes, without writing anything.
  static std::string file_name(std::string_view bytes, ImageType type);
  // True when `file` is an image file name and the file exists.
  bool contains(std::string_view file) const;
  // Removes every image file of the folder whose name is not in `referenced` (the files the
  // remaining posts use); other names are left alone. Returns how many were removed.
  std::size_t prune(const std::set<std::string>& referenced) const;

 private:
  std::filesystem::path folder_;
};

}  // namespace feedd::image
