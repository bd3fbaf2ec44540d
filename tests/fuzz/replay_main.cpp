// A main for a fuzz target's LLVMFuzzerTestOneInput without libFuzzer (any compiler): runs it
// once on each input and exits 0 when every one passed. A broken contract aborts (FUZZ_CHECK),
// after the input's name is printed.
//
//   fuzz_replay_TARGET [--lines FILE]... PATH...
//
// PATH: a file (one input) or a folder (each regular file in it). --lines FILE: each line of
// FILE that does not start with '#' is one input, without its newline (tests/fuzz/dates.txt).
// Exits 1 when there is no input at all: a replay of nothing would pass whatever the code does.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// The input being run, for the crash handler: written before each run, read only on a signal.
char current[4096];

void report_and_die(int sig) {
  const char prefix[] = "fuzz replay: crashed on ";
  (void)!::write(STDERR_FILENO, prefix, sizeof prefix - 1);
  (void)!::write(STDERR_FILENO, current, std::strlen(current));
  (void)!::write(STDERR_FILENO, "\n", 1);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void run(const std::string& name, const std::string& bytes) {
  std::snprintf(current, sizeof current, "%s", name.c_str());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

int main(int argc, char** argv) {
  for (const int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
    ::signal(sig, report_and_die);
  std::size_t inputs = 0;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--lines" && i + 1 < argc) {
        const std::string file = argv[++i];
        std::ifstream in(file);
        if (!in) throw std::runtime_error("cannot read " + file);
        int number = 0;
        for (std::string line; std::getline(in, line);) {
          ++number;
          if (line.starts_with("#")) continue;
          run(file + ":" + std::to_string(number), line);
          ++inputs;
        }
        continue;
      }
      std::vector<fs::path> files;
      if (fs::is_directory(arg)) {
        for (const auto& entry : fs::directory_iterator(arg))
          if (entry.is_regular_file()) files.push_back(entry.path());
        std::sort(files.begin(), files.end());
      } else {
        files.push_back(arg);
      }
      for (const auto& f : files) {
        run(f.string(), slurp(f));
        ++inputs;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz replay: %s: %s\n", current, e.what());
    return 1;
  }
  if (inputs == 0) {
    std::fprintf(stderr, "fuzz replay: no input, so nothing was checked\n");
    return 1;
  }
  std::printf("fuzz replay: %zu inputs, every check held\n", inputs);
  return 0;
}
