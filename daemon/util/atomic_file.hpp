#pragma once
// Atomic file replacement for the output views (posts/, feeds/): write a temporary file in the
// same folder, flush it to disk, rename over the target, flush the folder. Readers see the old or
// the new bytes, never a mix; a crash leaves at most a "*.tmp-feedd" file, which
// remove_stale_temporaries() cleans.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace feedd {

struct WriteResult {
  bool ok = false;
  bool changed = false;  // false when the file already held exactly these bytes
  std::string error;     // "PATH: REASON" when !ok
};

// Creates missing parent folders. Skips the write when the file already has these bytes.
// Never throws.
WriteResult write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

struct FileWrite {
  std::filesystem::path path;
  std::string bytes;
};

// write_file_atomic for many files at once, with the same guarantees but one syncfs() per file
// system for all the data and one fsync per folder for the renames, instead of a flush per
// file. Results are in the order of `files`. Never throws.
std::vector<WriteResult> write_files_atomic(const std::vector<FileWrite>& files);

// The two halves of write_files_atomic, for callers that prepare files on several threads
// and put them in place later (after a store commit): stage_file() writes the bytes under a
// temporary name beside `path`; publish_staged() makes a batch of them durable and renames
// them into place; discard_staged() removes the temporaries of a batch that must not appear.
// Compact (a cycle of 3000 feeds stages 90,000 of them): the temporary's name is derived
// from the target and a tag rather than stored.
struct StagedFile {
  std::string path;       // the target
  std::uint32_t tag = 0;  // names the temporary; 0 when there is nothing to rename
  bool synced = false;    // its data is on disk (sync_staged): publish_staged need not flush
  WriteResult result;     // !ok + error when staging failed; ok && !changed = unchanged
  bool staged() const { return tag != 0; }
  std::string temp() const;  // path + "." + tag + kTempSuffix
};

// Creates missing parent folders. With `compare`, a file that already holds exactly these
// bytes is left alone (result ok, not changed); without, the caller knows the file is new or
// must be replaced anyway, and the comparison read is saved. Thread-safe for distinct paths.
// Never throws.
StagedFile stage_file(const std::filesystem::path& path, std::string_view bytes,
                      bool compare = true);

// One syncfs() per file system (of the files not synced yet), then each staged temporary
// renamed over its target, then one fsync per folder. Fills each `result` (a failed flush or
// rename leaves the target as it was and the temporary removed) and clears each tag. Never
// throws.
void publish_staged(std::vector<StagedFile>& files);

// publish_staged's first half, for a caller that may flush before it may rename (the cycle:
// while its transaction commits): one syncfs() per file system; marks the files synced. On a
// failure the batch is discarded as publish_staged does (results filled, temporaries removed).
// Never throws.
void sync_staged(std::vector<StagedFile>& files);

// Removes the temporaries of `files` and clears their tags. Never throws.
void discard_staged(std::vector<StagedFile>& files);

// Reads a whole file into `out`; false on error, and for a file over `max_bytes` (which is
// not read past max_bytes + 1). With `error`, a failure's reason is put there: the system's
// text for errno ("No such file or directory") or "larger than MAX_BYTES bytes".
bool read_file(const std::filesystem::path& path, std::string& out,
               std::size_t max_bytes = 64u << 20, std::string* error = nullptr);

// Removes temporaries left by an interrupted write_file_atomic under `dir` (recursively).
// Returns how many were removed.
int remove_stale_temporaries(const std::filesystem::path& dir);

inline constexpr std::string_view kTempSuffix = ".tmp-feedd";

}  // namespace feedd
