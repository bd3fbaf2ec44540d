#!/usr/bin/env bash
# CTest's fuzz_replay_TARGET: runs REPLAY (the target's check built with replay_main.cpp, no
# libFuzzer) on every seed of TARGET (seeds.sh), fuzz_parse_date also on each line of dates.txt.
#
#   tests/fuzz/replay.sh TARGET REPLAY
set -euo pipefail
target=$1 replay=$2
cd "$(dirname "$0")/../.."
mapfile -t seeds < <(tests/fuzz/seeds.sh "$target")
lines=()
[ "$target" = parse_date ] && lines=(--lines tests/fuzz/dates.txt)
exec "$replay" "${lines[@]}" "${seeds[@]}"
