#pragma once
// Atomic file replacement for the output views (posts/, feeds/): write a temporary file in the
// same folder, flush it to disk, rename over the target, flush the folder. Readers see the old or
// the new bytes, never a mix; a crash leaves at most a "*.tmp-feedd" file, which
// remove_stale_temporaries() cleans. Staged files (below) are written, where the file system and
// the descriptor budget allow, to a file without a name (O_TMPFILE) that publishing links into
// place: no temporary to create and rename, and a crash leaves nothing behind.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
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
// and put them in place later (after a store commit): stage_file() writes the bytes out of
// sight; publish_staged() makes a batch of them durable and puts them into place;
// discard_staged() drops a batch that must not appear.
// A staged file is either unnamed — an open O_TMPFILE descriptor, which publishing links to the
// target (or, when the target exists, to a temporary name renamed over it) and whose closing is
// the discard — or, when O_TMPFILE is unsupported or the descriptor budget
// (set_staging_fd_budget) is used up, a named temporary beside the target, renamed over it.
// Compact (a cycle of 3000 feeds stages 90,000 of them): the temporary's name is derived from
// the target and a tag rather than stored.
// Ownership: a StagedFile owns its descriptor; destroying it unpublished discards an unnamed
// file (a named temporary stays, for discard_staged or remove_stale_temporaries). Callers move
// it; a copy duplicates the descriptor (the copy's publish fails if that is impossible).
struct StagedFile {
  std::string path;       // the target
  std::uint32_t tag = 0;  // names the temporary; 0 when there is nothing to publish
  int fd = -1;            // the unnamed file's descriptor; -1 for a named temporary
  bool synced = false;    // its data is on disk (sync_staged): publish_staged need not flush
  WriteResult result;     // !ok + error when staging failed; ok && !changed = unchanged

  StagedFile() = default;
  StagedFile(std::string target, std::uint32_t tag_, int fd_, bool synced_, WriteResult r)
      : path(std::move(target)), tag(tag_), fd(fd_), synced(synced_), result(std::move(r)) {}
  StagedFile(const StagedFile& other);
  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(const StagedFile& other);
  StagedFile& operator=(StagedFile&& other) noexcept;
  ~StagedFile();

  bool staged() const { return tag != 0; }
  bool unnamed() const { return fd >= 0; }
  std::string temp() const;  // path + "." + tag + kTempSuffix
  // Closes the descriptor (discarding an unnamed file) and returns it to the budget.
  void close_fd() noexcept;
};

// Creates missing parent folders. With `compare`, a file that already holds exactly these
// bytes is left alone (result ok, not changed), and a file that exists gets a named temporary
// (it will be replaced: a link would cost more); without, the caller knows the file is new or
// must be replaced anyway, and the comparison read is saved. Thread-safe for distinct paths.
// Never throws.
StagedFile stage_file(const std::filesystem::path& path, std::string_view bytes,
                      bool compare = true);

// One syncfs() per file system (of the files not synced yet), then each staged file put into
// place, then one fsync per folder. Fills each `result` (a failed flush, link or rename leaves
// the target as it was and the staged file discarded) and clears each tag. Never throws.
void publish_staged(std::vector<StagedFile>& files);

// publish_staged's first half, for a caller that may flush before it may rename (the cycle:
// while its transaction commits): one syncfs() per file system; marks the files synced. On a
// failure the batch is discarded as publish_staged does (results filled, files discarded).
// Never throws.
void sync_staged(std::vector<StagedFile>& files);

// Discards the staged files of `files` (closes descriptors, removes temporaries) and clears
// their tags. Never throws.
void discard_staged(std::vector<StagedFile>& files);

// How many unnamed staged files may be open at once, process-wide (each holds a descriptor).
// By default, the first stage_file() derives it from RLIMIT_NOFILE's soft limit minus a reserve
// for the server's connections, curl, SQLite and logs (256 of a limit of 1024, 16,860 of
// 20,000); `files` < 0 derives it again at the next stage_file(). For startup and tests; call
// while nothing is staged. Thread-safe.
void set_staging_fd_budget(long files);

// Grows the process's descriptor table, once, to hold the staging budget (capped at
// kMaxReservedDescriptors) beside what is open already, and returns the table size it asked
// for (0 when nothing was needed or the kernel refused: staging then grows the table as it
// goes, which is correct, only slower). Why: the kernel grows the table by doubling, and in a
// process with threads each doubling waits for an RCU grace period (milliseconds, in a VM tens
// of them) while every other thread that opens a file waits too; a cold cycle holding 9,000
// unnamed files went through eight such waits. Call at startup, before threads start (a lone
// thread's table grows without the wait); later calls do nothing. Thread-safe; never throws.
inline constexpr long kMaxReservedDescriptors = 32768;
long reserve_staging_descriptors();

// For tests: while `err` != 0, every O_TMPFILE open fails with `err`, as on a file system
// without O_TMPFILE (EOPNOTSUPP, EISDIR, EINVAL) or with a real error. Thread-safe.
void fail_tmpfile_open_for_testing(int err);

// The system's text for errno value `err` ("No such file or directory").
std::string errno_text(int err);

// Opens folder `dir` ("" = the current one) for fsync, syncfs, openat or renameat; -1 with
// errno on error. The caller closes it.
int open_folder(const std::filesystem::path& dir);

// Flushes folder `dir`'s entries (renames, links, new names) to disk; false on error.
bool fsync_folder(const std::filesystem::path& dir);

// Writes all of `bytes` to `fd`, retrying short writes and EINTR; false with errno on failure.
bool write_fully(int fd, std::string_view bytes);

// Reads a whole file into `out`; false on error, and for a file over `max_bytes` (which is
// not read past max_bytes + 1). With `error`, a failure's reason is put there: the system's
// text for errno ("No such file or directory") or "larger than MAX_BYTES bytes".
bool read_file(const std::filesystem::path& path, std::string& out,
               std::size_t max_bytes = 64u << 20, std::string* error = nullptr);

// Removes temporaries left by an interrupted write_file_atomic under `dir` (recursively), and
// staging folders left by a FreshFolder (fresh_folder.hpp) that was never published, with what
// they hold. Returns how many were removed (a folder counts once).
int remove_stale_temporaries(const std::filesystem::path& dir);

inline constexpr std::string_view kTempSuffix = ".tmp-feedd";

}  // namespace feedd
