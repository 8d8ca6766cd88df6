#!/usr/bin/env bash
# configs.sh — one driftd, several ways of running it, paired in one run.
#
#   bash tests/bench/ingest/configs.sh [--rounds N] [--seconds S] [--case NAME] \
#        [--driftd PATH] [--bench-ingest PATH] NAME='[ENV=V ...] [-- SERVE ARGS]' ...
#
# e.g.  configs.sh t4096='-- --threads 4096' t64='-- --threads 64' \
#                  slots8192='BENCH_FUTEX_SLOTS=8192 -- --threads 4096'
#
# Runs bench_ingest (default case embed_b64, 4 s) once per configuration and
# round, the order rotating each round so that a slow spell of the machine
# lands on all of them; a configuration's ENV goes to the server only (through
# a wrapper script), its SERVE ARGS to `driftd serve`.  BENCH_FUTEX_SLOTS=N
# preloads common/futex_slots.c (built here) to size the server's private
# futex hash.  Prints one line per run (ev/s, the server's CPU per 1000 events
# and page faults), then the median of each configuration.  Without --driftd
# and --bench-ingest it builds both in Release into $BENCH_BUILD_DIR
# (default build-bench/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds=5 seconds=4 case=embed_b64 driftd="" client="" cfgs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --case) case=$2; shift 2 ;;
    --driftd) driftd=$2; shift 2 ;;
    --bench-ingest) client=$2; shift 2 ;;
    *=*) cfgs+=("$1"); shift ;;
    *) echo "configs.sh: unexpected '$1' (see the top of the script)" >&2; exit 2 ;;
  esac
done
[ ${#cfgs[@]} -gt 0 ] || { echo "configs.sh: no configuration given" >&2; exit 2; }
out_dir=${BENCH_BUILD_DIR:-build-bench}
if [ -z "$driftd" ] || [ -z "$client" ]; then
  source "$here/../common/build.sh" # cd to the root, bench_build
  cmake -S . -B "$out_dir" -DCMAKE_BUILD_TYPE=Release -DDRIFTD_BENCH=ON >/dev/null
  cmake --build "$out_dir" -j"$(nproc)" --target driftd bench_ingest >/dev/null
  driftd=${driftd:-$out_dir/driftd} client=${client:-$out_dir/bench_ingest}
fi
driftd=$(realpath "$driftd") client=$(realpath "$client")
work=$(mktemp -d /tmp/driftd-bench-configs-XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -o "$work/futex_slots.so" "$here/../common/futex_slots.c"

names=()
for c in "${cfgs[@]}"; do # NAME=[ENV=V ...] [-- ARGS]: a wrapper per configuration
  name=${c%%=*} spec=${c#*=} env=${spec%%--*} args=""
  [[ $spec == *--* ]] && args=${spec#*--}
  names+=("$name")
  {
    echo '#!/bin/sh'
    [[ $env == *BENCH_FUTEX_SLOTS=* ]] && echo "export LD_PRELOAD=$work/futex_slots.so"
    for kv in $env; do echo "export $kv"; done
    echo "exec $driftd \"\$@\""
  } >"$work/$name.sh"
  chmod +x "$work/$name.sh"
  echo "$args" >"$work/$name.args"
done

n=${#names[@]}
for r in $(seq 1 "$rounds"); do
  for i in $(seq 0 $((n - 1))); do
    name=${names[$(((i + r - 1) % n))]}
    serve=()
    for a in $(cat "$work/$name.args"); do serve+=(--serve "$a"); done
    res=$("$client" --driftd "$work/$name.sh" --case "$case" --seconds "$seconds" \
      ${serve[@]+"${serve[@]}"} 2>&1 || true)
    evs=$(sed -n 's/^[^ ].*batch [0-9]* *\([0-9]*\) .*/\1/p' <<<"$res" | head -1)
    cpu=$(sed -n 's/.*per 1000 ev: user \([0-9.]*\) ms, sys \([0-9.]*\) ms, \([0-9]*\) minflt.*/\1 \2 \3/p' <<<"$res")
    echo "round $r  $name  ev/s ${evs:-?}  user/sys ms per 1000 ev, minflt per 1000 ev: ${cpu:-?}"
    echo "$name ${evs:-nan} ${cpu:-nan nan nan}" >>"$work/results"
  done
done
/usr/bin/python3 - "$work/results" "${names[@]}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print(f"\n{'config':16s} {'ev/s':>9s} {'user ms':>8s} {'sys ms':>8s} {'minflt':>7s}   (median per 1000 events over the rounds; ev/s min-max)")
for name in sys.argv[2:]:
    rs = [[float(x) for x in r[1:]] for r in rows if r[0] == name]
    col = lambda i: [r[i] for r in rs if r[i] == r[i]]
    med = lambda i: statistics.median(col(i)) if col(i) else float("nan")
    ev = col(0)
    print(f"{name:16s} {med(0):9.0f} {med(1):8.2f} {med(2):8.2f} {med(3):7.0f}   ({min(ev):.0f}-{max(ev):.0f}, n={len(ev)})")
PY
