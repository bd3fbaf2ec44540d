#include "util/atomic_file.hpp"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <vector>

namespace feedd {
namespace {

namespace fs = std::filesystem;

// While alive, the calling thread lacks the capabilities that let root ignore file permissions
// (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) in its effective set, so a permission
// check fails for root as for anyone (CI runs as root). They stay permitted and come back on
// destruction. Throws std::system_error when the kernel refuses.
class WithoutPermissionOverrides {
 public:
  WithoutPermissionOverrides() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) fail("capget");
    __user_cap_data_struct lowered[2];
    std::memcpy(lowered, saved_, sizeof lowered);
    for (const int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
      lowered[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
    }
    if (::syscall(SYS_capset, &header_, lowered) != 0) fail("capset");
  }
  ~WithoutPermissionOverrides() { ::syscall(SYS_capset, &header_, saved_); }
  WithoutPermissionOverrides(const WithoutPermissionOverrides&) = delete;
  WithoutPermissionOverrides& operator=(const WithoutPermissionOverrides&) = delete;

 private:
  [[noreturn]] static void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  }
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};  // pid 0: this thread
  __user_cap_data_struct saved_[2]{};
};

// A fresh folder per test, removed afterwards.
class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("feedd-atomic-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  std::string slurp(const fs::path& p) {
    std::string s;
    EXPECT_TRUE(read_file(p, s)) << p;
    return s;
  }

  std::set<std::string> names() {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      out.insert(fs::relative(e.path(), dir_).string());
    }
    return out;
  }

  static ino_t inode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_ino;
  }

  fs::path dir_;
};

TEST_F(AtomicFile, WritesNewFile) {
  const auto p = dir_ / "a.md";
  const auto r = write_file_atomic(p, "hello\n");
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(slurp(p), "hello\n");
}

TEST_F(AtomicFile, KeepsBinaryBytesAndEmptyContent) {
  const std::string bytes("\0\xff\r\n新\0", 8);
  EXPECT_TRUE(write_file_atomic(dir_ / "bin", bytes).ok);
  EXPECT_EQ(slurp(dir_ / "bin"), bytes);
  EXPECT_TRUE(write_file_atomic(dir_ / "empty", "").changed);
  EXPECT_EQ(slurp(dir_ / "empty"), "");
  EXPECT_FALSE(write_file_atomic(dir_ / "empty", "").changed);
}

TEST_F(AtomicFile, UnchangedWriteReportsUnchangedAndLeavesFileAlone) {
  const auto p = dir_ / "feed.xml";
  ASSERT_TRUE(write_file_atomic(p, "<feed/>").ok);
  const auto before = inode(p);
  const auto r = write_file_atomic(p, "<feed/>");
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(inode(p), before);  // not even replaced by an identical copy
}

TEST_F(AtomicFile, ChangedWriteReplacesTheFile) {
  const auto p = dir_ / "feed.xml";
  ASSERT_TRUE(write_file_atomic(p, "<feed>1</feed>").ok);
  // A second name pins the original inode: once freed, its number could be reused by one of
  // the replacements below (that made this test flaky).
  const auto pinned = dir_ / "pinned";
  std::filesystem::create_hard_link(p, pinned);
  const auto before = inode(p);
  for (const std::string_view next : {"<feed>2</feed>", "<feed>longer content</feed>", "<f/>"}) {
    const auto r = write_file_atomic(p, next);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.changed) << next;
    EXPECT_EQ(slurp(p), next);
  }
  EXPECT_NE(inode(p), before);  // a new file renamed over the old one, not rewritten in place
  EXPECT_EQ(slurp(pinned), "<feed>1</feed>");  // readers holding the old file saw no change
  std::filesystem::remove(pinned);
}

TEST_F(AtomicFile, CreatesMissingParentFolders) {
  const auto p = dir_ / "feeds" / "xinmeiti" / "zaker" / "channel.xml";
  const auto r = write_file_atomic(p, "x");
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(slurp(p), "x");
}

TEST_F(AtomicFile, BatchWritesEveryFileReportsEachAndLeavesNoTemporary) {
  ASSERT_TRUE(write_file_atomic(dir_ / "same.md", "unchanged").ok);
  std::filesystem::create_directories(dir_ / "blocked");
  const std::vector<FileWrite> files = {
      {dir_ / "a" / "one.md", "1"},
      {dir_ / "same.md", "unchanged"},
      {dir_ / "b" / "two.md", "22"},
      {dir_ / "blocked", "a folder cannot be replaced by a file"},
  };
  const auto results = write_files_atomic(files);
  ASSERT_EQ(results.size(), files.size());
  EXPECT_TRUE(results[0].ok && results[0].changed);
  EXPECT_TRUE(results[1].ok && !results[1].changed);
  EXPECT_TRUE(results[2].ok && results[2].changed);
  EXPECT_FALSE(results[3].ok);
  EXPECT_NE(results[3].error.find("blocked"), std::string::npos) << results[3].error;
  EXPECT_EQ(slurp(dir_ / "a" / "one.md"), "1");
  EXPECT_EQ(slurp(dir_ / "b" / "two.md"), "22");
  EXPECT_EQ(names(),
            (std::set<std::string>{"a", "a/one.md", "b", "b/two.md", "blocked", "same.md"}));
}

// A staged file is invisible under its name until published: what a cycle writes before its
// store commit must not appear if the commit fails.
TEST_F(AtomicFile, StagedFileAppearsOnlyWhenPublished) {
  ASSERT_TRUE(write_file_atomic(dir_ / "old.md", "old").ok);
  std::vector<StagedFile> batch;
  batch.push_back(stage_file(dir_ / "posts" / "new.md", "new", false));
  batch.push_back(stage_file(dir_ / "old.md", "replaced", false));
  for (const auto& f : batch) {
    EXPECT_TRUE(f.staged()) << f.result.error;
    EXPECT_FALSE(f.result.ok);  // not yet: only publish_staged() decides
  }
  EXPECT_FALSE(fs::exists(dir_ / "posts" / "new.md"));
  EXPECT_EQ(slurp(dir_ / "old.md"), "old");
  publish_staged(batch);
  for (const auto& f : batch) {
    EXPECT_TRUE(f.result.ok && f.result.changed) << f.result.error;
    EXPECT_FALSE(f.staged());
  }
  EXPECT_EQ(slurp(dir_ / "posts" / "new.md"), "new");
  EXPECT_EQ(slurp(dir_ / "old.md"), "replaced");
  EXPECT_EQ(names(), (std::set<std::string>{"old.md", "posts", "posts/new.md"}));
}

TEST_F(AtomicFile, DiscardedStagedFilesLeaveNothingAndTheOldBytes) {
  ASSERT_TRUE(write_file_atomic(dir_ / "old.md", "old").ok);
  std::vector<StagedFile> batch;
  batch.push_back(stage_file(dir_ / "a.md", "a", false));
  batch.push_back(stage_file(dir_ / "old.md", "replaced", true));
  discard_staged(batch);
  EXPECT_EQ(names(), (std::set<std::string>{"old.md"}));
  EXPECT_EQ(slurp(dir_ / "old.md"), "old");
}

TEST_F(AtomicFile, StagingWithoutCompareRewritesIdenticalBytes) {
  ASSERT_TRUE(write_file_atomic(dir_ / "a.md", "same").ok);
  const ino_t before = inode(dir_ / "a.md");
  std::vector<StagedFile> compared{stage_file(dir_ / "a.md", "same", true)};
  EXPECT_FALSE(compared[0].staged());
  EXPECT_TRUE(compared[0].result.ok && !compared[0].result.changed);
  std::vector<StagedFile> forced{stage_file(dir_ / "a.md", "same", false)};
  publish_staged(forced);
  EXPECT_TRUE(forced[0].result.ok && forced[0].result.changed);
  EXPECT_NE(inode(dir_ / "a.md"), before);
}

TEST_F(AtomicFile, LeavesNoTemporaryBehind) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(write_file_atomic(dir_ / "sub" / "a.md", "v" + std::to_string(i)).ok);
  }
  ASSERT_TRUE(write_file_atomic(dir_ / "sub" / "a.md", "v4").ok);  // unchanged path too
  EXPECT_EQ(names(), (std::set<std::string>{"sub", "sub/a.md"}));
}

// create_directories("") fails with EINVAL, so "feeds.opml" relative to the working folder
// could not be written at all.
TEST_F(AtomicFile, BareRelativeFileNameWithoutParentFolder) {
  const auto old_cwd = fs::current_path();
  fs::current_path(dir_);
  const auto r = write_file_atomic("feeds.opml", "<opml/>");
  fs::current_path(old_cwd);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(slurp(dir_ / "feeds.opml"), "<opml/>");
}

TEST_F(AtomicFile, ReadOnlyFolderIsAnErrorValue) {
  const auto ro = dir_ / "ro";
  fs::create_directories(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  WriteResult r;
  {
    const WithoutPermissionOverrides as_anyone;
    EXPECT_NO_THROW(r = write_file_atomic(ro / "a.md", "x"));
  }
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.changed);
  EXPECT_NE(r.error.find((ro / "a.md").string()), std::string::npos) << r.error;
  fs::permissions(ro, fs::perms::owner_all);
  EXPECT_EQ(names(), (std::set<std::string>{"ro"}));
}

// Failures that even root cannot override.
TEST_F(AtomicFile, ImpossibleTargetsAreErrorValues) {
  ASSERT_TRUE(write_file_atomic(dir_ / "file", "x").ok);
  fs::create_directories(dir_ / "folder" / "inside");
  struct Case {
    fs::path target;
    std::string_view why;
  };
  for (const auto& c : {Case{dir_ / "file" / "a.md", "parent is a regular file"},
                        Case{dir_ / "folder", "target is a folder"}}) {
    WriteResult r;
    EXPECT_NO_THROW(r = write_file_atomic(c.target, "x")) << c.why;
    EXPECT_FALSE(r.ok) << c.why;
    EXPECT_FALSE(r.changed) << c.why;
    EXPECT_FALSE(r.error.empty()) << c.why;
  }
  EXPECT_EQ(names(), (std::set<std::string>{"file", "folder", "folder/inside"}));
}

// While alive, staging uses `budget` unnamed files at most and O_TMPFILE opens fail with
// `tmpfile_errno` (0: they do not); the defaults come back on destruction.
class StagingSetup {
 public:
  StagingSetup(long budget, int tmpfile_errno) {
    set_staging_fd_budget(budget);
    fail_tmpfile_open_for_testing(tmpfile_errno);
  }
  ~StagingSetup() {
    set_staging_fd_budget(-1);
    fail_tmpfile_open_for_testing(0);
  }
  StagingSetup(const StagingSetup&) = delete;
  StagingSetup& operator=(const StagingSetup&) = delete;
};

// Each way of staging: which files are staged unnamed (no directory entry until published)
// and which under a temporary name, for new targets and a replaced one, and that publishing
// puts every one in place with the new bytes and leaves no temporary.
TEST_F(AtomicFile, StagingPathsPublishTheBytesAndLeaveNoTemporary) {
  struct Case {
    std::string_view name;
    long budget;
    int tmpfile_errno;
    bool compare;         // staging "old.md" with compare: a known existing target
    std::size_t unnamed;  // of the 4 files staged
  };
  // clang-format off
  const std::vector<Case> cases = {
      {"unnamed, existing target replaced through a link",  100, 0,          false, 4},
      {"unnamed; an existing compared target gets a name",  100, 0,          true,  3},
      {"budget of 3: the 4th file gets a name",             3,   0,          false, 3},
      {"budget of 0: every file gets a name",               0,   0,          false, 0},
      {"no O_TMPFILE on this file system (EOPNOTSUPP)",     100, EOPNOTSUPP, false, 0},
      {"a kernel without O_TMPFILE (EISDIR)",               100, EISDIR,     false, 0},
      {"O_TMPFILE refused for these flags (EINVAL)",        100, EINVAL,     false, 0},
      {"no descriptor to spare (EMFILE)",                   100, EMFILE,     false, 0},
  };
  // clang-format on
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(write_file_atomic(dir_ / "old.md", "old").ok);
    const StagingSetup setup(c.budget, c.tmpfile_errno);
    std::vector<StagedFile> batch;
    batch.push_back(stage_file(dir_ / "a.md", "a", false));
    batch.push_back(stage_file(dir_ / "sub" / "b.md", "b", false));  // a missing folder
    batch.push_back(stage_file(dir_ / "old.md", "new", c.compare));
    batch.push_back(stage_file(dir_ / "c.md", "c", false));
    std::size_t unnamed = 0;
    std::set<std::string> temporaries;
    for (const auto& f : batch) {
      EXPECT_TRUE(f.staged()) << f.result.error;
      if (f.unnamed()) {
        ++unnamed;
      } else {
        temporaries.insert(fs::relative(f.temp(), dir_).string());
      }
    }
    EXPECT_EQ(unnamed, c.unnamed);
    std::set<std::string> before{"old.md", "sub"};
    before.insert(temporaries.begin(), temporaries.end());
    EXPECT_EQ(names(), before);  // unnamed files have no directory entry
    EXPECT_EQ(slurp(dir_ / "old.md"), "old");
    publish_staged(batch);
    for (const auto& f : batch) {
      EXPECT_TRUE(f.result.ok && f.result.changed) << f.result.error;
      EXPECT_FALSE(f.staged());
      EXPECT_FALSE(f.unnamed());
    }
    EXPECT_EQ(slurp(dir_ / "a.md"), "a");
    EXPECT_EQ(slurp(dir_ / "sub" / "b.md"), "b");
    EXPECT_EQ(slurp(dir_ / "old.md"), "new");
    EXPECT_EQ(slurp(dir_ / "c.md"), "c");
    EXPECT_EQ(names(), (std::set<std::string>{"a.md", "c.md", "old.md", "sub", "sub/b.md"}));
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "a.md").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u);  // no second name left behind
  }
}

// Without a budget set, it follows the descriptor limit: a low one leaves no descriptor to
// spare, a usual one does. (This process has few descriptors open.)
TEST_F(AtomicFile, DefaultBudgetFollowsTheDescriptorLimit) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct Case {
    rlim_t soft;
    bool unnamed;
  };
  for (const auto& c : {Case{700, false}, Case{1024, true}}) {
    SCOPED_TRACE(c.soft);
    if (c.soft > saved.rlim_max) continue;
    rlimit lower = saved;
    lower.rlim_cur = c.soft;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lower), 0);
    const StagingSetup setup(-1, 0);
    const StagedFile f = stage_file(dir_ / "a.md", "a", false);
    EXPECT_TRUE(f.staged()) << f.result.error;
    EXPECT_EQ(f.unnamed(), c.unnamed);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  }
}

// The size of this process's descriptor table ("FDSize" in /proc/self/status); 0 if unknown.
long descriptor_table_size() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("FDSize:", 0) == 0) return std::stol(line.substr(7));
  }
  return 0;
}

// Regression (descriptor table grown step by step while staging): a cold cycle holding 9,000
// unnamed files grew the table by doubling, eight times, each waiting for an RCU grace period
// while every thread that opened a file waited too. One reservation at startup makes the table
// big enough for the whole budget at once, and only the first call does anything.
TEST_F(AtomicFile, DescriptorTableGrewStepByStepWhileStaging) {
  const StagingSetup setup(300, 0);
  ASSERT_LT(descriptor_table_size(), 300) << "the test needs a table smaller than the budget";
  const long asked = reserve_staging_descriptors();
  EXPECT_GT(asked, 300);  // the budget plus what is open
  EXPECT_GE(descriptor_table_size(), asked);
  EXPECT_EQ(reserve_staging_descriptors(), asked);
}

// Dropping staged files without publishing them — what a crash does to the descriptors — or
// discarding them leaves nothing in the folder and the old bytes in place; either way their
// descriptors go back to the budget.
TEST_F(AtomicFile, UnpublishedUnnamedFilesLeaveNothing) {
  ASSERT_TRUE(write_file_atomic(dir_ / "old.md", "old").ok);
  const StagingSetup setup(2, 0);
  for (const bool drop : {true, false}) {
    SCOPED_TRACE(drop ? "dropped" : "discarded");
    std::vector<StagedFile> batch;
    batch.push_back(stage_file(dir_ / "a.md", "a", false));
    batch.push_back(stage_file(dir_ / "old.md", "replaced", false));
    ASSERT_TRUE(batch[0].unnamed() && batch[1].unnamed());
    if (drop) {
      batch.clear();
    } else {
      discard_staged(batch);
      EXPECT_FALSE(batch[0].staged() || batch[0].unnamed());
    }
    EXPECT_EQ(names(), (std::set<std::string>{"old.md"}));
    EXPECT_EQ(slurp(dir_ / "old.md"), "old");
  }
  // Both rounds returned their descriptors: a budget of 2 still stages 2 unnamed files.
  const StagedFile a = stage_file(dir_ / "a.md", "a", false);
  const StagedFile b = stage_file(dir_ / "b.md", "b", false);
  EXPECT_TRUE(a.unnamed() && b.unnamed());
}

// Moving a staged file hands over its descriptor; a copy gets a descriptor of its own, so the
// original stays publishable once the copy is gone.
TEST_F(AtomicFile, StagedFilesMoveAndCopyTheirDescriptor) {
  const StagingSetup setup(100, 0);
  StagedFile original = stage_file(dir_ / "a.md", "a", false);
  ASSERT_TRUE(original.unnamed());
  { const StagedFile copy = original; }  // NOLINT(performance-unnecessary-copy-initialization)
  std::vector<StagedFile> batch;
  batch.push_back(std::move(original));
  EXPECT_FALSE(original.unnamed() || original.staged());  // NOLINT(bugprone-use-after-move)
  publish_staged(batch);
  EXPECT_TRUE(batch[0].result.ok) << batch[0].result.error;
  EXPECT_EQ(slurp(dir_ / "a.md"), "a");
}

// Failures of an unnamed file: staging where O_TMPFILE fails for a reason other than support,
// and a link that cannot be made; each reported per file, nothing left behind.
TEST_F(AtomicFile, UnnamedFileFailuresAreErrorValues) {
  {
    const StagingSetup setup(100, ENOSPC);
    const StagedFile f = stage_file(dir_ / "a.md", "a", false);
    EXPECT_FALSE(f.staged());
    EXPECT_EQ(f.result.error, (dir_ / "a.md").string() + ": No space left on device");
  }
  {
    // Like a named temporary's: the folder is what cannot be made.
    const StagingSetup setup(100, 0);
    ASSERT_TRUE(write_file_atomic(dir_ / "file", "x").ok);
    const StagedFile f = stage_file(dir_ / "file" / "a.md", "a", false);
    EXPECT_FALSE(f.staged());
    EXPECT_EQ(f.result.error, (dir_ / "file").string() + ": Not a directory");
    fs::remove(dir_ / "file");
  }
  const StagingSetup setup(100, 0);
  fs::create_directories(dir_ / "folder" / "inside");
  std::vector<StagedFile> batch;
  batch.push_back(stage_file(dir_ / "gone" / "a.md", "a", false));
  batch.push_back(stage_file(dir_ / "folder", "a folder cannot be replaced", false));
  batch.push_back(stage_file(dir_ / "b.md", "b", false));
  for (const auto& f : batch)
    ASSERT_TRUE(f.unnamed()) << f.result.error;
  fs::remove_all(dir_ / "gone");  // the folder goes away before publishing
  publish_staged(batch);
  EXPECT_FALSE(batch[0].result.ok);
  EXPECT_EQ(batch[0].result.error,
            (dir_ / "gone" / "a.md").string() + ": No such file or directory");
  EXPECT_FALSE(batch[1].result.ok);
  EXPECT_NE(batch[1].result.error.find("folder"), std::string::npos) << batch[1].result.error;
  EXPECT_TRUE(batch[2].result.ok) << batch[2].result.error;
  EXPECT_EQ(names(), (std::set<std::string>{"b.md", "folder", "folder/inside"}));
}

// Without the capability that AT_EMPTY_PATH links needed before Linux 6.10, publishing still
// works (through /proc/self/fd when the kernel refuses).
TEST_F(AtomicFile, UnnamedFilesPublishWithoutCapabilities) {
  const StagingSetup setup(100, 0);
  std::vector<StagedFile> batch;
  batch.push_back(stage_file(dir_ / "a.md", "a", false));
  ASSERT_TRUE(batch[0].unnamed());
  {
    const WithoutPermissionOverrides as_anyone;
    publish_staged(batch);
  }
  EXPECT_TRUE(batch[0].result.ok) << batch[0].result.error;
  EXPECT_EQ(slurp(dir_ / "a.md"), "a");
}

TEST_F(AtomicFile, ReadFileIsBounded) {
  ASSERT_TRUE(write_file_atomic(dir_ / "ten", "0123456789").ok);
  std::string out;
  EXPECT_TRUE(read_file(dir_ / "ten", out, 10));
  EXPECT_EQ(out, "0123456789");
  EXPECT_FALSE(read_file(dir_ / "ten", out, 9));
  EXPECT_FALSE(read_file(dir_ / "missing", out));
  EXPECT_FALSE(read_file(dir_, out));  // a folder is not a file
}

TEST_F(AtomicFile, ReadFileSaysWhyItFailed) {
  ASSERT_TRUE(write_file_atomic(dir_ / "ten", "0123456789").ok);
  struct Case {
    fs::path path;
    std::size_t max_bytes;
    std::string error;
  };
  const std::vector<Case> cases = {
      {dir_ / "ten", 9, "larger than 9 bytes"},
      {dir_ / "missing", 100, "No such file or directory"},
      {dir_, 100, "Is a directory"},
  };
  for (const auto& c : cases) {
    std::string out, error;
    EXPECT_FALSE(read_file(c.path, out, c.max_bytes, &error)) << c.path;
    EXPECT_EQ(error, c.error) << c.path;
  }
  std::string out, error = "untouched";
  EXPECT_TRUE(read_file(dir_ / "ten", out, 10, &error));
  EXPECT_EQ(error, "untouched");
}

TEST_F(AtomicFile, RemoveStaleTemporaries) {
  const std::string suffix(kTempSuffix);
  const std::vector<std::string> files = {"posts/a.md",
                                          "posts/a.md.123" + suffix,
                                          "feeds/x/all.xml",
                                          "feeds/x/all.xml.9" + suffix,
                                          "keep" + suffix + ".md",
                                          suffix};
  for (const auto& rel : files) {
    fs::create_directories((dir_ / rel).parent_path());
    ASSERT_TRUE(write_file_atomic(dir_ / rel, "x").ok) << rel;
  }
  EXPECT_EQ(remove_stale_temporaries(dir_), 2);
  EXPECT_EQ(names(), (std::set<std::string>{"posts", "posts/a.md", "feeds", "feeds/x",
                                            "feeds/x/all.xml", "keep" + suffix + ".md", suffix}));
  EXPECT_EQ(remove_stale_temporaries(dir_), 0);
  EXPECT_EQ(remove_stale_temporaries(dir_ / "missing"), 0);
  EXPECT_EQ(remove_stale_temporaries(dir_ / "posts" / "a.md"), 0);  // not a folder
}

}  // namespace
}  // namespace feedd
