#!/usr/bin/env bash
# Monitoring benchmark (issue #4): builds driftd and bench_monitor in Release
# into build-bench/ and prints evaluation-round times at 1x and 10x stored
# history and read latencies under live ingest.  Arguments go to
# bench_monitor (see the top of tests/bench/monitor/bench_monitor.c).
set -euo pipefail
source "$(dirname "$0")/../common/build.sh"
bench_build bench_monitor
exec build-bench/bench_monitor --driftd build-bench/driftd "$@"
