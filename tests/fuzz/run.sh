#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into $FUZZ_BUILD and runs each for FUZZ_SECONDS.
#
#   tests/fuzz/run.sh [TARGET...]        TARGET: parse_feed parse_date html article_file config
#
# Environment: FUZZ_SECONDS (default 60, per target), FUZZ_BUILD (default build-fuzz),
# FUZZ_JOBS (build parallelism, default 2), CXX (default clang++-14).
# Seeds come from tests/fuzz/seeds.sh at run time (fixtures of tests/data and the regression
# fixtures in tests/data/*/regress/, which `make test` replays too: fuzz_replay_TARGET). The
# corpus grown by earlier runs is kept in $FUZZ_BUILD/corpus/.
# Exits 1 when any target crashed, leaked, timed out or ran out of memory; the input is left
# in $FUZZ_BUILD/crashes/TARGET/ (replay it with: $FUZZ_BUILD/tests/fuzz/fuzz_TARGET FILE).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
cxx=${CXX:-clang++-14}
all_targets=(parse_feed parse_date html article_file config)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# fuzzer-no-link instruments the stage libraries for coverage; only the fuzz_* executables link
# libFuzzer's main. UBSan must not recover, or libFuzzer would not see its reports as crashes.
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags" -DFEEDD_FUZZ=ON >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]/#/fuzz_}"

dict_of() {
  case $1 in
    parse_feed) echo xml ;; parse_date) echo date ;; html) echo html ;; *) echo yaml ;;
  esac
}

# Reports with a stack; libFuzzer itself turns any report into a failure.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  seed_dir=$build/seeds/$t corpus=$build/corpus/$t crashes=$build/crashes/$t
  rm -rf "$seed_dir" && mkdir -p "$seed_dir" "$corpus" "$crashes"
  tests/fuzz/seeds.sh "$t" | while read -r f; do cp "$f" "$seed_dir/"; done
  if [ "$t" = parse_date ]; then
    n=0
    grep -v '^#' tests/fuzz/dates.txt | while IFS= read -r line; do
      n=$((n + 1)); printf %s "$line" >"$seed_dir/date_$n"
    done
  fi
  echo "== fuzz_$t: ${seconds}s, $(ls "$seed_dir" | wc -l) seeds, $(ls "$corpus" | wc -l) in corpus"
  # The corpus directory comes first: libFuzzer writes new inputs there, the seeds stay as they
  # are. -timeout is per input; -rss_limit_mb catches runaway allocation.
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -dict="tests/fuzz/dict/$(dict_of "$t").dict" -artifact_prefix="$crashes/" \
      "$corpus" "$seed_dir" >"$build/fuzz_$t.log" 2>&1; then
    failed+=("$t")
    echo "!! fuzz_$t failed; the input is in $crashes/ and the report in $build/fuzz_$t.log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*contract broken|.*runtime error)' "$build/fuzz_$t.log" | head -5 || true
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/fuzz_$t.log" | tr '\n' ' ' || true
  echo
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
