#!/usr/bin/env bash
# README command one: install, build, and run driftd on 127.0.0.1:8080 with
# its embedded SQLite database at data/driftd.db.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDRIFTD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target driftd >/dev/null
cat <<'MSG'
driftd is starting on http://127.0.0.1:8080 (database data/driftd.db); Ctrl-C stops it.
Post an event from another terminal:
  curl -s -XPOST -H 'Content-Type: application/json' http://127.0.0.1:8080/api/v1/models/demo/events \
       -d '{"events": [{"prediction": "cat", "confidence": 0.93, "features": {"age": 41}}]}'
  curl -s http://127.0.0.1:8080/api/v1/models/demo
MSG
exec ./build/driftd serve --listen "${DRIFTD_LISTEN:-127.0.0.1:8080}" --db "${DRIFTD_DB:-data/driftd.db}"
