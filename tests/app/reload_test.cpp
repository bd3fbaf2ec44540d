// A config reload (SIGHUP) as a value: a good file is switched to, a broken one is refused with
// its diagnostics word for word, and listen/state stay what the running daemon has.
#include "app/reload.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace feedd::app {
namespace {

namespace fs = std::filesystem;

// A valid config; {LISTEN} is replaced by each case.
constexpr const char* kGood = R"(listen: "{LISTEN}"
categories:
  - name: Top
    sources:
      - name: Src
        channels:
          - name: Chan
            url: https://example.com/feed.xml
          - name: Two
            url: https://example.com/two.xml
)";

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("feedd-reload-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = dir_ / "feeds.yaml";
    auto first = config::load_config(write(replace_listen(kGood, "127.0.0.1:8080")));
    ASSERT_TRUE(first.config) << (first.errors.empty() ? "" : first.errors[0]);
    current_ = *first.config;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string replace_listen(std::string text, const std::string& listen) {
    text.replace(text.find("{LISTEN}"), 8, listen);
    return text;
  }
  fs::path write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }

  fs::path dir_;
  fs::path path_;
  config::Config current_;
};

TEST_F(ReloadTest, AGoodFileIsSwitchedTo) {
  const auto out = reload_config(write(replace_listen(kGood, "127.0.0.1:8080")), current_);
  ASSERT_TRUE(out.config);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_FALSE(out.needs_restart);
  EXPECT_EQ(out.config->channels().size(), 2u);
  EXPECT_EQ(out.status(), "reloaded");
}

TEST_F(ReloadTest, ListenAndStateStayUntilARestart) {
  std::string text = replace_listen(kGood, "127.0.0.1:9999");
  text += "state: elsewhere/other.db\n";
  const auto out = reload_config(write(text), current_);
  ASSERT_TRUE(out.config);
  EXPECT_TRUE(out.needs_restart);
  EXPECT_EQ(out.config->listen, current_.listen);
  EXPECT_EQ(out.config->state, current_.state);
  EXPECT_EQ(out.config->channels().size(), 2u);
}

struct BrokenCase {
  const char* name;
  std::string text;
  std::vector<std::string> errors;  // with PATH for the file's path
};

TEST_F(ReloadTest, ABrokenFileIsRefusedWithItsDiagnostics) {
  const std::vector<BrokenCase> cases = {
      {"yaml syntax",
       "categories:\n  - name: [Top\n",
       {"PATH:3: invalid YAML: end of sequence flow not found"}},
      {"channel without url",
       "categories:\n  - name: Top\n    sources:\n      - name: Src\n        channels:\n"
       "          - name: Chan\n",
       {"PATH:6: channel \"Chan\" needs a \"url\" or a \"route\""}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto out = reload_config(write(c.text), current_);
    EXPECT_FALSE(out.config);
    std::vector<std::string> expected;
    for (auto e : c.errors)
      expected.push_back(e.replace(0, 4, path_.string()));
    EXPECT_EQ(out.errors, expected);
    // The status names the first error, flattened onto one line for STATUS=.
    std::string why = expected.front();
    std::replace(why.begin(), why.end(), '\n', ' ');
    EXPECT_EQ(out.status(), "reload failed, kept the previous configuration: " + why);
  }
}

TEST_F(ReloadTest, AMissingFileIsRefused) {
  const auto out = reload_config(dir_ / "gone.yaml", current_);
  EXPECT_FALSE(out.config);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].rfind((dir_ / "gone.yaml").string(), 0), 0u) << out.errors[0];
}

}  // namespace
}  // namespace feedd::app
