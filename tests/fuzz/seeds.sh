#!/usr/bin/env bash
# Prints the files (one a line, relative to the repository) that seed a fuzz target: its corpus,
# fixtures of tests/data written for other tests, and its regress folder. run.sh copies them
# into the fuzzer's seed folder; CTest's fuzz_replay_TARGET feeds each to the target's check
# (replay.sh), so every `make test` holds the properties the fuzzers check on all of them.
#
#   tests/fuzz/seeds.sh TARGET        TARGET: parse_feed parse_date html article_file config
#
# Regress folders: tests/data/<stage>/regress/, one input a crash found, named after the target
# (feed_*, date_*, html_*, file_*, config_*); a folder appears with its first fixture, so a missing
# one is not an error. fuzz_parse_date also reads tests/fuzz/dates.txt, one input a line
# (replay.sh and run.sh take care of that).
set -euo pipefail
cd "$(dirname "$0")/../.."

files() { find "$@" -maxdepth 1 -type f 2>/dev/null || true; }
case ${1:-} in
  parse_feed)
    files tests/data/parse tests/data/fetch tests/data/emit -name '*.xml' -o -name '*.html'
    files tests/data/parse/random.bin tests/data/e2e/feeds
    files tests/data/parse/regress -name 'feed_*' ;;
  parse_date) files tests/data/parse/regress -name 'date_*' ;;
  html)
    files tests/data/article/html -name '*.in.html'
    files tests/data/store/article.html
    files tests/data/article/regress -name 'html_*' ;;
  article_file)
    files tests/data/article/files tests/data/article/golden
    files tests/data/article/regress -name 'file_*' ;;
  config)
    files tests/data/config feeds.yaml -name '*.yaml'
    files tests/data/config/regress -name 'config_*' ;;
  *)
    echo "usage: tests/fuzz/seeds.sh parse_feed|parse_date|html|article_file|config" >&2
    exit 2 ;;
esac
