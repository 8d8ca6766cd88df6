#!/usr/bin/env bash
# Statistics benchmark (issue #3): `driftd check` vs SciPy / scikit-learn on the
# same NDJSON files.  Builds driftd and bench_stats_phases in Release into
# build-bench/, generates the inputs once into build-bench/stats-data/ (reused),
# then prints the timing/agreement table.  Run from anywhere.
# Options go to bench_stats.py: --repeat N (best of N, default 3),
# --cases ks,chi2,embed,mmd.  OPENBLAS_NUM_THREADS defaults to nproc, for both sides.
# Exit status: 0 all agree and every target met, 1 a statistic/verdict disagreed or
# driftd check failed, 2 a target missed (everything agreed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common/build.sh"
bench_build bench_stats_phases --test >&2   # the --test set has python3-numpy/scipy/sklearn
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$(nproc)}"
exec /usr/bin/python3 "$here/bench_stats.py" --driftd build-bench/driftd \
    --data build-bench/stats-data --phases build-bench/bench_stats_phases "$@"
