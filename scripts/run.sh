#!/usr/bin/env bash
# README command one: install, build, and run driftd on 127.0.0.1:8080 with
# its embedded SQLite database at data/driftd.db and demo traffic (--demo:
# models demo-classifier and demo-embedder; DRIFTD_DEMO=false turns it off).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDRIFTD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target driftd >/dev/null
listen="${DRIFTD_LISTEN:-127.0.0.1:8080}" db="${DRIFTD_DB:-data/driftd.db}"
echo "driftd is starting on http://$listen (database $db); Ctrl-C stops it."
[ "${DRIFTD_DEMO:-true}" = false ] || cat <<MSG
Demo traffic feeds demo-classifier (v1 as trained, v2 drifted, labels arriving 5 s late)
and demo-embedder (drifts every other 4 minutes; its alert rule demo-embedder-drift fires
and resolves with it); a fresh database gets 24 h of history first, so statuses show
within seconds. The dashboard: http://$listen/
  curl -s http://$listen/api/v1/models
  curl -s "http://$listen/api/v1/models/demo-classifier/drift?version=v2"
  curl -s http://$listen/metrics | grep driftd_drift
  curl -s "http://$listen/api/v1/alerts?model=demo-embedder"
MSG
cat <<MSG
Post your own events from another terminal:
  curl -s -XPOST -H 'Content-Type: application/json' http://$listen/api/v1/models/mine/events \\
       -d '{"events": [{"prediction": "cat", "confidence": 0.93, "features": {"age": 41}}]}'
MSG
exec ./build/driftd serve --listen "$listen" --db "$db" \
    --demo="${DRIFTD_DEMO:-true}"
