#!/usr/bin/env bash
# compare.sh — one benchmark, two revisions, paired in one run.
#
#   bash tests/bench/compare.sh BEFORE [AFTER] [--bench ingest|stats|monitor] [--rounds N] [-- ARGS]
#
# Builds `driftd` of BEFORE and AFTER (a commit; AFTER defaults to the working
# tree) in Release into $BENCH_BUILD_DIR/compare-{before,after}/ (default
# build-bench/), and the benchmark client from AFTER's sources (in
# compare-after/build), then runs the client against the two binaries in turn,
# N rounds each (default 3; the first side alternates), so a slow spell of the
# machine lands on both.  Prints each run's table, then one summary table of the
# headline numbers: median of the rounds per side and their ratio.  ARGS go to
# the client (e.g. `--seconds 5` or `--case embed_b64` for ingest, `--cases
# ks,embed --repeat 1` for stats, `--read-seconds 30` for monitor).
#
# monitor: one run is ~7 minutes (it loads 1 M + 10 M events first), so
# `--rounds 2` is ~30 minutes; the headline numbers are the paired round
# times, live ingest, the range PUT and the read latencies' p99.
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
[ -n "$before" ] || { echo "usage: compare.sh BEFORE [AFTER] [--bench ingest|stats|monitor] [--rounds N] [-- ARGS]" >&2; exit 2; }
case $bench in ingest|stats|monitor) ;; *) echo "compare.sh: unknown bench '$bench'" >&2; exit 2 ;; esac
out_dir=${BENCH_BUILD_DIR:-build-bench}
bash scripts/deps.sh --test >&2

build_rev() { # rev dir [targets...]: a Release driftd (and targets) of rev in dir
  local rev=$1 dir=$2 src
  shift 2
  if [ "$rev" = worktree ]; then
    src=$root
  else
    src=$dir/src
    rm -rf "$src" && mkdir -p "$src"
    git -C "$root" archive "$rev" | tar -x -C "$src"
    # a revision that embeds Chart.js (check --format html) builds against the installed
    # web/node_modules (npm ci from the lock file, scripts/deps.sh), which git does not hold
    [ -d "$root/web/node_modules" ] && [ -d "$src/web" ] && cp -r "$root/web/node_modules" "$src/web/"
  fi
  # a build tree configured from another source (the working tree last time, an
  # archive now, or the other way) is refused by cmake: start it again
  if [ -f "$dir/build/CMakeCache.txt" ] &&
     ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$src" "$dir/build/CMakeCache.txt"; then
    rm -rf "$dir/build"
  fi
  { cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DDRIFTD_TESTS=OFF \
      -DDRIFTD_BENCH="$([ $# -gt 0 ] && echo ON || echo OFF)" >/dev/null &&
    cmake --build "$dir/build" -j"$(nproc)" --target driftd "$@" >"$dir/build.log" 2>&1; } ||
    { tail -20 "$dir/build.log" >&2; echo "compare.sh: cannot build $rev" >&2; exit 1; }
}
case $bench in
  ingest) client=bench_ingest ;;
  stats) client=bench_stats_phases ;;
  monitor) client=bench_monitor ;;
esac
b_dir=$out_dir/compare-before a_dir=$out_dir/compare-after
echo "building $before and ${after:-the working tree} (into $out_dir)" >&2
build_rev "$before" "$b_dir"
build_rev "${after:-worktree}" "$a_dir" "$client"
[ "${after:-worktree}" = worktree ] && a_src=$root || a_src=$a_dir/src
if [ -n "$after" ]; then a_name=$(git -C "$root" rev-parse --short "$after")
else a_name="the working tree at $(git -C "$root" rev-parse --short HEAD)"; fi
echo "before: $(git -C "$root" rev-parse --short "$before"), after: $a_name" >&2
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run_one() { # side round
  local bin=$1/build/driftd out=$log/$2-$3.txt
  case $bench in
    ingest)
      "$a_dir/build/bench_ingest" --driftd "$bin" "${extra[@]}" >"$out" || true ;;
    stats)
      OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$(nproc)}" /usr/bin/python3 \
        "$a_src/tests/bench/stats/bench_stats.py" --driftd "$bin" --data "$out_dir/stats-data" \
        --phases "$a_dir/build/bench_stats_phases" "${extra[@]}" >"$out" || true ;;
    monitor)
      "$a_dir/build/bench_monitor" --driftd "$bin" "${extra[@]}" >"$out" || true ;;
  esac
  echo "== $2, round $3 ($bin)"
  cat "$out"
}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then run_one "$b_dir" before "$r"; run_one "$a_dir" after "$r"
  else run_one "$a_dir" after "$r"; run_one "$b_dir" before "$r"; fi
done

# the headline numbers: ingest "server ev/s" and the server's CPU per 1000 events,
# stats "driftd s", monitor each row's value (latency rows: p99)
/usr/bin/python3 - "$bench" "$log" "$rounds" <<'PY'
import re, statistics, sys, os
bench, log, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
def num(tok):  # "0.191s", "4.0%", "168991", ">5000"
    try:
        return float(tok.rstrip("s%").lstrip("><="))
    except ValueError:
        return None
def rows(path):
    out, cpu, table = {}, None, False
    for line in open(path):
        table = table or line.startswith("measure ")  # monitor: only the table's rows
        if bench == "ingest":
            # "  server: user U s, sys S s, ...; per 1000 ev: user u ms, sys s ms, ..." comes
            # just before its case's row
            m = re.search(r"per 1000 ev: user ([\d.]+) ms, sys ([\d.]+) ms", line)
            if m:
                cpu = m.groups()
            # "case ...  <server ev/s>  <cJSON ev/s> ..."
            m = re.match(r"^([A-Za-z0-9].*?batch \d+)\s+(\d+)\s+\d+", line)
            if m:
                out[m.group(1) + ", server ev/s"] = float(m.group(2))
                if cpu:
                    case = m.group(1).split(",")[0][:22]
                    out[f"  {case}: server user ms/1000 ev"] = float(cpu[0])
                    out[f"  {case}: server sys ms/1000 ev"] = float(cpu[1])
                cpu = None
        elif bench == "stats":  # "  done ks     null  driftd 0.257 s ..."
            m = re.match(r"^\s+done (\S+)\s+(\S+)\s+driftd ([\d.]+) s", line)
            if m:
                out[f"{m.group(1)} {m.group(2)}, driftd check s"] = float(m.group(3))
        else:  # bench_monitor: measure (48 columns), value, p50, p95, p99, n, target
            name, toks = line[:48].strip(), line[48:].split()
            if not table or not name or not toks or name == "measure":
                continue
            if name.startswith("GET "):  # latency rows: p50 p95 p99 n
                short = name.replace(" (on demand)", "")
                if len(toks) >= 3 and num(toks[2]) is not None:
                    out[short + ", p99 ms"] = num(toks[2])
                    if "on demand" in name:
                        out[short + ", p50 ms"] = num(toks[0])
            elif num(toks[0]) is not None:
                out[name] = num(toks[0])
                m = re.search(r"slowest batch (\d+) ms", line)
                if m:
                    out[name.split(",")[0] + ", slowest batch ms"] = float(m.group(1))
    return out
sides = {s: [rows(os.path.join(log, f"{s}-{r}.txt")) for r in range(1, rounds + 1)]
         for s in ("before", "after")}
names = [k for k in sides["before"][0] if all(k in t for s in sides.values() for t in s)]
print()
print(f"{'measure':56s} {'before':>12s} {'after':>12s} {'after/before':>13s}   (median of {rounds} rounds each, alternating)")
for k in names:
    b = statistics.median(t[k] for t in sides["before"])
    a = statistics.median(t[k] for t in sides["after"])
    if "vs 1x" in k:  # a paired difference in %: the change in points, not a ratio
        print(f"{k[:56]:56s} {b:12.6g} {a:12.6g} {a - b:+9.1f} pts")
    else:
        print(f"{k[:56]:56s} {b:12.6g} {a:12.6g} {a / b if b else float('nan'):13.3f}")
PY
