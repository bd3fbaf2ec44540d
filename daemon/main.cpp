// feedd: command-line entry point. Parses arguments and hands over to app/commands.
#include <boost/program_options.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/daemon.hpp"
#include "app/refresh_client.hpp"
#include "config/config.hpp"
#include "util/atomic_file.hpp"
#include "version.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage = R"(Usage: feedd [OPTIONS] COMMAND [ARGS...]

Commands:
  run                poll on schedule, serve feeds and the status page over HTTP (daemon)
  once               poll every channel once, write posts and feeds, exit
  refresh [CHANNEL...]
                     ask the running daemon to poll now (all channels, or the named
                     top, top/source or top/source/channel paths) and wait for the result
  import PATH...     ingest article files (or folders of them) in the post format
  check              validate the config and print the category tree with each channel's
                     drop/keep rules
  check --explain CHANNEL
                     fetch that top/source/channel once and print what its rules would do
                     with each item; changes nothing

Signals (feedd run):
  SIGHUP             reload the config (the old one stays on error)
  SIGUSR1            poll every channel now
  SIGTERM, SIGINT    finish in-flight work (at most 5 s) and exit 0

Files:
  feeds.yaml                  the config (-c); /etc/feedd/feeds.yaml under systemd
  <output>/posts/<hash>.md    one Hexo post per article
  <output>/feeds/**.xml       one Atom feed per category node, plus feeds/all.xml
  <output>/feeds.opml         every feed, for a reader to import
  <state> (feedd.db)          SQLite: articles, seen titles and GUIDs, channel state

Exit status: 0 ok; 1 the work failed (every channel failed, store or files unusable, no
daemon answers a refresh); 2 usage or config errors.

Options)";

}  // namespace

int main(int argc, char** argv) {
  po::options_description visible(kUsage);
  std::string config = "feeds.yaml";
  std::string log_level = "info";
  std::string explain;
  visible.add_options()("help,h", "show this help and exit")("version,V",
                                                             "print the version and exit")(
      "config,c", po::value<std::string>(&config)->value_name("FILE"),
      "feeds.yaml to use (default: ./feeds.yaml)")(
      "log-level", po::value<std::string>(&log_level)->value_name("LEVEL"),
      "trace, debug, info, warn, error (default: info)")(
      "explain", po::value<std::string>(&explain)->value_name("CHANNEL"),
      "with check: fetch CHANNEL once and show which items its rules would drop");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>())("args",
                                                            po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "feedd: " << e.what() << "\nTry 'feedd --help'.\n";
    return feedd::app::kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return feedd::app::kExitOk;
  }
  if (vm.count("version")) {
    std::cout << "feedd " << feedd::kVersion << "\n";
    return feedd::app::kExitOk;
  }
  if (!vm.count("command")) {
    std::cerr << "feedd: no command given\nTry 'feedd --help'.\n";
    return feedd::app::kExitUsage;
  }
  try {
    feedd::app::setup_logging(log_level, std::getenv("JOURNAL_STREAM") != nullptr);
  } catch (const std::exception& e) {
    std::cerr << "feedd: " << e.what() << "\n";
    return feedd::app::kExitUsage;
  }

  const auto command = vm["command"].as<std::string>();
  const auto args =
      vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
  feedd::app::CommonOptions opts;
  opts.config = config;
  if (!explain.empty() && command != "check") {
    std::cerr << "feedd: --explain goes with check\nTry 'feedd --help'.\n";
    return feedd::app::kExitUsage;
  }
  // The commands that stage files, before any of their threads starts (the work pool, curl's
  // resolver): a cold cycle holds thousands of unnamed files open.
  if (command == "run" || command == "once" || command == "import")
    feedd::reserve_staging_descriptors();
  if (command == "run" && args.empty()) return feedd::app::run_daemon(opts.config);
  if (command == "once" && args.empty()) return feedd::app::cmd_once(opts, std::cout);
  if (command == "check" && args.empty()) return feedd::app::cmd_check(opts, std::cout, explain);

  if (command == "import") return feedd::app::cmd_import(opts, args, std::cout);
  if (command == "refresh") {
    auto loaded = feedd::config::load_config(opts.config);
    for (const auto& e : loaded.errors)
      std::cerr << e << "\n";
    if (!loaded.config) return feedd::app::kExitUsage;
    return feedd::app::cmd_refresh(*loaded.config, args, std::cout, std::cerr);
  }
  std::cerr << "feedd: unknown command or extra arguments: " << command
            << "\nTry 'feedd --help'.\n";
  return feedd::app::kExitUsage;
}
