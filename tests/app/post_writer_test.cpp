// PostWriter: when the scan for missing article files runs, and what it restores.
#include "app/post_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace feedd::app {
namespace {

namespace fs = std::filesystem;

const std::chrono::sys_seconds kNow{std::chrono::seconds{1638000000}};

class PostWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("feedd_post_writer_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "out" / "posts");
    store_ = std::make_unique<store::Store>(dir_ / "feedd.db");
    for (const char* hash : {"0000000000000001", "0000000000000002"}) {
      article::Article a;
      a.hash = hash;
      a.title = std::string("标题 ") + hash;
      a.categories = {"a", "b", "c"};
      a.author = "b";
      a.date = kNow;
      a.html = "<p>正文</p>";
      store_->add_article(a, "top/src/a", kNow);
    }
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  fs::path post(const char* hash) const {
    return dir_ / "out" / "posts" / (std::string(hash) + ".md");
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

// The first call restores every missing file; later calls do not look again (the daemon calls
// it after every cycle, and the folder listing is not free); a new writer (the next process)
// does.
TEST_F(PostWriterTest, TheFirstCallRestoresMissingFilesAndLaterOnesDoNotScan) {
  PostWriter writer(dir_ / "out");
  std::string error;
  EXPECT_EQ(writer.restore_missing(*store_, error), 2);
  EXPECT_EQ(error, "");
  EXPECT_TRUE(fs::exists(post("0000000000000001")));
  fs::remove(post("0000000000000001"));
  EXPECT_EQ(writer.restore_missing(*store_, error), 0);
  EXPECT_FALSE(fs::exists(post("0000000000000001")));
  EXPECT_EQ(PostWriter(dir_ / "out").restore_missing(*store_, error), 1);
  EXPECT_TRUE(fs::exists(post("0000000000000001")));
}

// A failed write (the posts folder is a file) is reported, and the call after it scans again.
TEST_F(PostWriterTest, AFailedWriteIsScannedForAgainByTheNextCall) {
  fs::remove_all(dir_ / "out" / "posts");
  std::ofstream(dir_ / "out" / "posts") << "in the way";
  PostWriter writer(dir_ / "out");
  std::string error;
  EXPECT_EQ(writer.restore_missing(*store_, error), 0);
  EXPECT_NE(error, "");
  fs::remove(dir_ / "out" / "posts");
  error.clear();
  EXPECT_EQ(writer.restore_missing(*store_, error), 2);
  EXPECT_EQ(error, "");
}

// A post that failed to publish after a cycle's commit is rebuilt by the scan of the call after
// the one that follows it — not the one right after, which would only log the failure twice.
TEST_F(PostWriterTest, AFailedPublishIsRebuiltTwoCallsLater) {
  PostWriter writer(dir_ / "out");
  std::string error;
  ASSERT_EQ(writer.restore_missing(*store_, error), 2);  // the first scan, done
  fs::remove(post("0000000000000002"));

  std::vector<StagedFile> failed(1);
  failed[0].path = post("0000000000000002").string();
  failed[0].result.error = "disk full";
  EXPECT_EQ(writer.publish(failed, error), 0);
  EXPECT_EQ(error, "disk full");
  EXPECT_EQ(writer.restore_missing(*store_, error), 0);  // right after the failure: no scan
  EXPECT_EQ(writer.restore_missing(*store_, error), 1);  // the call after it
  EXPECT_TRUE(fs::exists(post("0000000000000002")));
  EXPECT_EQ(writer.restore_missing(*store_, error), 0);
}

}  // namespace
}  // namespace feedd::app
