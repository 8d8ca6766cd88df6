#!/usr/bin/env bash
# Ingest benchmark (issue #2): builds driftd and bench_ingest in Release into
# build-bench/ and prints events/s of a real server next to its ceilings.
# Arguments go to bench_ingest (--seconds S, --clients N, --case NAME).
set -euo pipefail
cd "$(dirname "$0")/../../.."
bash scripts/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRIFTD_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target driftd bench_ingest >/dev/null
exec build-bench/bench_ingest --driftd build-bench/driftd "$@"
