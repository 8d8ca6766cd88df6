#!/usr/bin/env bash
# Ingest benchmark (issue #2): builds driftd and bench_ingest in Release into
# build-bench/ and prints events/s of a real server next to its ceilings.
# Arguments go to bench_ingest (--seconds S, --clients N, --case NAME).
set -euo pipefail
source "$(dirname "$0")/../common/build.sh"
bench_build bench_ingest
exec build-bench/bench_ingest --driftd build-bench/driftd "$@"
