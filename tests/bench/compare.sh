#!/usr/bin/env bash
# compare.sh — one benchmark, two revisions, paired in one run.
#
#   bash tests/bench/compare.sh BEFORE [AFTER] [--bench ingest|stats] [--rounds N] [-- ARGS]
#
# Builds `driftd` of BEFORE and AFTER (a commit; AFTER defaults to the working
# tree) in Release into build-bench/compare-<rev>/, and the benchmark client from
# AFTER, then runs the client against the two binaries in turn, N rounds each
# (default 3), so a slow spell of the machine lands on both.  Prints each run's
# table, then one summary table of the headline numbers: median of the rounds per
# side and their ratio.  ARGS go to the client (e.g. `--seconds 5` for ingest,
# `--cases ks,embed --repeat 1` for stats).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
before="" after="" bench=ingest rounds=3 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) bench=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) if [ -z "$before" ]; then before=$1; else after=$1; fi; shift ;;
  esac
done
[ -n "$before" ] || { echo "usage: compare.sh BEFORE [AFTER] [--bench ingest|stats] [--rounds N] [-- ARGS]" >&2; exit 2; }
bash scripts/deps.sh --test >&2

build_rev() { # rev dir: a Release driftd of rev in dir
  local rev=$1 dir=$2 src
  if [ "$rev" = worktree ]; then
    src=$root
  else
    src=$dir/src
    rm -rf "$src" && mkdir -p "$src"
    git -C "$root" archive "$rev" | tar -x -C "$src"
  fi
  { cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DDRIFTD_TESTS=OFF >/dev/null &&
    cmake --build "$dir/build" -j"$(nproc)" --target driftd >"$dir/build.log" 2>&1; } ||
    { tail -20 "$dir/build.log" >&2; echo "compare.sh: cannot build $rev" >&2; exit 1; }
}
b_dir=build-bench/compare-before a_dir=build-bench/compare-after
echo "building $before and ${after:-the working tree}" >&2
build_rev "$before" "$b_dir"
build_rev "${after:-worktree}" "$a_dir"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRIFTD_BENCH=ON >/dev/null
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run_one() { # side round
  local bin=$1/build/driftd out=$log/$2-$3.txt
  case $bench in
    ingest)
      cmake --build build-bench -j"$(nproc)" --target bench_ingest >/dev/null
      build-bench/bench_ingest --driftd "$bin" "${extra[@]}" >"$out" ;;
    stats)
      cmake --build build-bench -j"$(nproc)" --target bench_stats_phases >/dev/null
      OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$(nproc)}" /usr/bin/python3 \
        "$here/stats/bench_stats.py" --driftd "$bin" --data build-bench/stats-data \
        --phases build-bench/bench_stats_phases "${extra[@]}" >"$out" || true ;;
    *) echo "compare.sh: unknown bench '$bench'" >&2; exit 2 ;;
  esac
  echo "== $2, round $3 ($bin)"
  cat "$out"
}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then run_one "$b_dir" before "$r"; run_one "$a_dir" after "$r"
  else run_one "$a_dir" after "$r"; run_one "$b_dir" before "$r"; fi
done

# the headline number of each table row: ingest "server ... ev/s", stats "driftd s"
/usr/bin/python3 - "$bench" "$log" "$rounds" <<'PY'
import re, statistics, sys, os
bench, log, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
def rows(path):
    out = {}
    for line in open(path):
        if bench == "ingest":  # "case ...  <server ev/s>  <cJSON ev/s> ..."
            m = re.match(r"^([A-Za-z0-9].*?batch \d+)\s+(\d+)\s+\d+", line)
            name = m and m.group(1) + ", server ev/s"
        else:                  # "  done ks     null  driftd 0.257 s ..."
            m = re.match(r"^\s+done (\S+)\s+(\S+)\s+driftd ([\d.]+) s", line)
            name = m and f"{m.group(1)} {m.group(2)}, driftd check s"
        if m:
            out[name] = float(m.groups()[-1])
    return out
sides = {s: [rows(os.path.join(log, f"{s}-{r}.txt")) for r in range(1, rounds + 1)]
         for s in ("before", "after")}
names = [k for k in sides["before"][0] if all(k in t for s in sides.values() for t in s)]
print()
print(f"{'measure':48s} {'before':>12s} {'after':>12s} {'after/before':>13s}   (median of {rounds} rounds each, alternating)")
for k in names:
    b = statistics.median(t[k] for t in sides["before"])
    a = statistics.median(t[k] for t in sides["after"])
    print(f"{k[:48]:48s} {b:12.4g} {a:12.4g} {a / b if b else float('nan'):13.3f}")
PY
