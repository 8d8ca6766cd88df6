#!/usr/bin/env bash
# Verdict benchmark (issue #14): builds driftd in Release into build-bench/ and
# prints the false-alarm and power table of driftd's verdict, Holm, and the
# peers' bundle (SciPy) on the wine model and the synthetic families.
# Arguments go to run.py (--quick, --sizes, --null, --shift-trials, --synthetic,
# --workers, --out FILE; see the top of run.py).  Exit status: 0 every target
# met, 2 a target missed, 1 a `driftd check` failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common/build.sh"
bash scripts/deps.sh --test >&2   # python3-numpy/scipy/sklearn
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRIFTD_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target driftd >/dev/null
exec /usr/bin/python3 "$here/run.py" --driftd build-bench/driftd "$@"
