#!/usr/bin/env bash
# Grafana datasource benchmark (issue #13): builds driftd and bench_grafana in
# Release into build-bench/, stores 100,000 evaluations over 30 days and times
# POST /grafana/query with maxDataPoints 500 (target p99 <= 50 ms).  Arguments
# go to bench_grafana (see the top of tests/bench/grafana/bench_grafana.c).
set -euo pipefail
source "$(dirname "$0")/../common/build.sh"
bench_build bench_grafana
exec build-bench/bench_grafana --driftd build-bench/driftd "$@"
