// Staging and publishing a cold cycle's posts: 9,000 files of 3.5 KB staged from two threads
// into one folder, then put into place, with unnamed files (O_TMPFILE + link) or, with a
// descriptor budget of 0, named temporaries (create + rename). The flush (syncfs) is left out:
// it measures the disk and everything else on it. Counters: seconds staging and publishing.
// The files are removed only at exit: for a while after thousands of inodes are freed, ext4's
// inode allocator skips them (recently_deleted), which would slow whichever variant ran next.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "util/atomic_file.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& bench_root() {
  static const struct Root {
    fs::path path = fs::temp_directory_path() / ("feedd-bench-" + std::to_string(::getpid()));
    ~Root() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } root;
  return root.path;
}

void BM_StageAndPublishPosts(benchmark::State& state) {
  const long budget = state.range(0);
  constexpr int kFiles = 9000;
  const std::string bytes(3500, 'x');
  const fs::path root = bench_root() / std::to_string(budget);
  double staging = 0, publishing = 0;
  int round = 0;
  feedd::set_staging_fd_budget(budget);
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path dir = root / std::to_string(round++);
    fs::create_directories(dir);
    std::vector<feedd::StagedFile> halves[2];
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < kFiles; i += 2) {
          halves[t].push_back(
              feedd::stage_file(dir / (std::to_string(i) + "0123456789abcdef.md"), bytes, false));
        }
      });
    }
    for (auto& th : threads)
      th.join();
    std::vector<feedd::StagedFile> all = std::move(halves[0]);
    for (auto& f : halves[1])
      all.push_back(std::move(f));
    for (auto& f : all)
      f.synced = true;
    const auto t1 = std::chrono::steady_clock::now();
    feedd::publish_staged(all);
    const auto t2 = std::chrono::steady_clock::now();
    staging += std::chrono::duration<double>(t1 - t0).count();
    publishing += std::chrono::duration<double>(t2 - t1).count();
    state.PauseTiming();
    for (const auto& f : all) {
      if (!f.result.ok) state.SkipWithError(f.result.error.c_str());
    }
    state.ResumeTiming();
  }
  feedd::set_staging_fd_budget(-1);
  state.counters["stage_s"] = benchmark::Counter(staging / static_cast<double>(round));
  state.counters["publish_s"] = benchmark::Counter(publishing / static_cast<double>(round));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kFiles);
}

}  // namespace

// 0: named temporaries; 100000: every file unnamed.
BENCHMARK(BM_StageAndPublishPosts)
    ->Arg(0)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
