#!/usr/bin/env bash
# Edge benchmark (issue #9): builds driftd and bench_edge in Release into
# build-bench/, then measures a healthy client's latency (GET /healthz and
# 1,000-event POSTs) and the server's RSS and threads while 0, 500 and 2,000
# hostile connections (idle, header drip, body drip) hold it (~1 minute).
# Arguments go to bench_edge (see the top of tests/bench/edge/bench_edge.c);
# after `--`, extra `driftd serve` arguments.  BENCH_KEEP=1 keeps the temp
# folder (database and server log).
set -euo pipefail
source "$(dirname "$0")/../common/build.sh"
bench_build bench_edge
tmp=$(mktemp -d /tmp/driftd-bench-edge-XXXXXX)
if [[ -n "${BENCH_KEEP:-}" ]]; then
  trap 'echo "kept $tmp (database and server log)"' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
fi
build-bench/bench_edge --driftd build-bench/driftd --dir "$tmp" "$@"
