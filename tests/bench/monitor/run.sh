#!/usr/bin/env bash
# Monitoring benchmark (issue #4): builds driftd and bench_monitor in Release
# into build-bench/ and prints evaluation-round times at 1x and 10x stored
# history and read latencies under live ingest.  Arguments go to
# bench_monitor (see the top of tests/bench/monitor/bench_monitor.c).
set -euo pipefail
cd "$(dirname "$0")/../../.."
bash scripts/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRIFTD_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target driftd bench_monitor >/dev/null
exec build-bench/bench_monitor --driftd build-bench/driftd "$@"
