#include "util/fresh_folder.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "util/atomic_file.hpp"

namespace feedd {
namespace {

namespace fs = std::filesystem;

class FreshFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("feedd-fresh-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    target_ = dir_ / "posts";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Every entry under dir_, relative to it.
  std::set<std::string> names() const {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_))
      out.insert(fs::relative(e.path(), dir_).string());
    return out;
  }

  std::string slurp(const fs::path& p) const {
    std::string s;
    EXPECT_TRUE(read_file(p, s)) << p;
    return s;
  }

  fs::path dir_;
  fs::path target_;
};

// Which targets are built fresh: missing or an empty real folder, nothing else.
TEST_F(FreshFolderTest, OpensOnlyForAMissingOrEmptyFolder) {
  struct Case {
    const char* name;
    void (*make)(const fs::path& target);
    bool fresh;
  };
  const Case cases[] = {
      {"missing", [](const fs::path&) {}, true},
      {"empty folder", [](const fs::path& t) { fs::create_directory(t); }, true},
      {"folder with a file",
       [](const fs::path& t) {
         fs::create_directory(t);
         ASSERT_TRUE(write_file_atomic(t / "old.md", "old").ok);
       },
       false},
      {"file", [](const fs::path& t) { ASSERT_TRUE(write_file_atomic(t, "x").ok); }, false},
      {"symlink to an empty folder",
       [](const fs::path& t) {
         fs::create_directory(t.parent_path() / "elsewhere");
         fs::create_directory_symlink("elsewhere", t);
       },
       false},
      {"dangling symlink", [](const fs::path& t) { fs::create_directory_symlink("nowhere", t); },
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_);
    c.make(target_);
    const auto fresh = FreshFolder::open(target_);
    EXPECT_EQ(fresh != nullptr, c.fresh);
    if (fresh) {
      EXPECT_TRUE(fs::is_directory(fresh->staging()));
    }
  }
}

// Nothing is visible under the target's name until publish(); then all of it is, with the
// bytes added (the last ones for a name added twice), and no staging folder is left.
TEST_F(FreshFolderTest, FilesAppearTogetherOnlyWhenPublished) {
  auto fresh = FreshFolder::open(target_);
  ASSERT_TRUE(fresh);
  std::vector<std::thread> adders;
  for (int t = 0; t < 2; ++t) {
    adders.emplace_back([&fresh, t] {
      for (int i = 0; i < 100; ++i)
        fresh->add(std::to_string(t) + "-" + std::to_string(i) + ".md", std::string(i, 'x'));
    });
  }
  for (auto& a : adders)
    a.join();
  fresh->add("twice.md", "first");
  fresh->add("twice.md", "second");
  EXPECT_FALSE(fs::exists(target_));
  std::string error;
  ASSERT_TRUE(fresh->flush()) << fresh->first_error();
  EXPECT_FALSE(fs::exists(target_));
  EXPECT_EQ(fresh->publish(error), 201);
  EXPECT_EQ(error, "");
  EXPECT_EQ(fresh->failed(), 0);
  EXPECT_EQ(slurp(target_ / "1-42.md"), std::string(42, 'x'));
  EXPECT_EQ(slurp(target_ / "twice.md"), "second");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(target_))
    ++files;
  EXPECT_EQ(files, 201u);
  std::set<std::string> top;
  for (const auto& e : fs::directory_iterator(dir_))
    top.insert(e.path().filename().string());
  EXPECT_EQ(top, std::set<std::string>{"posts"});
  fresh.reset();  // a published folder stays
  EXPECT_TRUE(fs::exists(target_ / "twice.md"));
}

// A rolled-back cycle (discard, or the builder dropped unpublished) leaves nothing at all; so
// does a flush that was never followed by a publish.
TEST_F(FreshFolderTest, DiscardedOrDroppedLeavesNothing) {
  for (const int way : {0, 1, 2}) {
    SCOPED_TRACE(way);
    auto fresh = FreshFolder::open(target_);
    ASSERT_TRUE(fresh);
    fresh->add("a.md", "a");
    if (way == 0) fresh->discard();
    if (way == 2) {
      ASSERT_TRUE(fresh->flush()) << fresh->first_error();
    }
    fresh.reset();
    EXPECT_TRUE(names().empty()) << *names().begin();
  }
}

// The target made (with entries) between open() and publish(): the files go into it one by
// one, replacing a file by the same name and leaving the others, and the staging folder goes.
TEST_F(FreshFolderTest, TargetMadeMeanwhileGetsTheFilesOneByOne) {
  auto fresh = FreshFolder::open(target_);
  ASSERT_TRUE(fresh);
  fresh->add("a.md", "new a");
  fresh->add("b.md", "b");
  fs::create_directory(target_);
  ASSERT_TRUE(write_file_atomic(target_ / "a.md", "old a").ok);
  ASSERT_TRUE(write_file_atomic(target_ / "other.md", "other").ok);
  std::string error;
  ASSERT_TRUE(fresh->flush()) << fresh->first_error();
  EXPECT_EQ(fresh->publish(error), 2);
  EXPECT_EQ(error, "");
  EXPECT_EQ(slurp(target_ / "a.md"), "new a");
  EXPECT_EQ(slurp(target_ / "b.md"), "b");
  EXPECT_EQ(slurp(target_ / "other.md"), "other");
  EXPECT_EQ(names(),
            (std::set<std::string>{"posts", "posts/a.md", "posts/b.md", "posts/other.md"}));
}

// A file that cannot be written is counted with its reason and does not stop the others.
TEST_F(FreshFolderTest, AFileThatCannotBeWrittenIsAnErrorValue) {
  auto fresh = FreshFolder::open(target_);
  ASSERT_TRUE(fresh);
  fresh->add("a.md", "a");
  fresh->add("sub/b.md", "b");                     // not one path component
  fresh->add(std::string(300, 'n') + ".md", "c");  // longer than NAME_MAX
  fresh->add("d.md", "d");
  std::string error;
  ASSERT_TRUE(fresh->flush()) << fresh->first_error();
  EXPECT_EQ(fresh->publish(error), 2);
  EXPECT_EQ(fresh->failed(), 2);
  EXPECT_NE(fresh->first_error().find("sub/b.md: Invalid argument"), std::string::npos)
      << fresh->first_error();
  EXPECT_EQ(error, fresh->first_error());
  EXPECT_EQ(names(), (std::set<std::string>{"posts", "posts/a.md", "posts/d.md"}));
}

// add() waits while the queue holds kMaxQueuedBytes, so memory stays bounded however fast the
// producers are; a file larger than the bound still gets through.
TEST_F(FreshFolderTest, QueueIsBoundedAndALargeFileStillPasses) {
  auto fresh = FreshFolder::open(target_);
  ASSERT_TRUE(fresh);
  const std::string big(FreshFolder::kMaxQueuedBytes * 2, 'b');
  fresh->add("big.md", big);
  for (int i = 0; i < 64; ++i)
    fresh->add("f" + std::to_string(i) + ".md", std::string(FreshFolder::kMaxQueuedBytes / 8, 'f'));
  std::string error;
  ASSERT_TRUE(fresh->flush()) << fresh->first_error();
  EXPECT_EQ(fresh->publish(error), 65);
  EXPECT_EQ(fs::file_size(target_ / "big.md"), big.size());
}

// Regression (a crash between the files and the rename): the staging folder a builder left is
// found by remove_stale_temporaries and removed whole, and the target stays unmade.
TEST_F(FreshFolderTest, StagingLeftByACrashIsRemovedWhole) {
  fs::path staging;
  {
    auto fresh = FreshFolder::open(target_);
    ASSERT_TRUE(fresh);
    staging = fresh->staging();
    fresh->add("a.md", "a");
    ASSERT_TRUE(fresh->flush()) << fresh->first_error();
    // What a crash leaves: the flushed staging folder, never renamed. Copied aside, since the
    // builder removes its own on the way out.
    fs::copy(staging, dir_ / "left", fs::copy_options::recursive);
  }
  fs::rename(dir_ / "left", staging);
  ASSERT_TRUE(fs::exists(staging / "a.md"));
  EXPECT_EQ(staging.filename().string().rfind(".posts.", 0), 0u) << staging;
  EXPECT_EQ(remove_stale_temporaries(dir_), 1);
  EXPECT_TRUE(names().empty());
  EXPECT_TRUE(FreshFolder::open(target_));
}

}  // namespace
}  // namespace feedd
