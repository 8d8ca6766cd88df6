#!/usr/bin/env bash
# lint.sh — ctest lint/openapi: docs/openapi.yaml is valid OpenAPI 3.1 and
# matches the route table.
#
#   1. `redocly lint` (Redocly CLI, pinned in package.json / package-lock.json
#      here and installed into node_modules/ by `scripts/deps.sh --test`) with
#      redocly.yaml: the recommended ruleset; an error fails, warnings are shown.
#   2. scripts/check_openapi.py: every route of server/api/routes.c is an
#      operation with the same method, path and role, and every operation is a
#      route or marked `x-driftd-status: planned`.
#
# Both run even when the first fails, so one run shows every problem.
# Usage: bash tests/lint/openapi/lint.sh   (exit 0 clean, 1 otherwise)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
redocly=$here/node_modules/.bin/redocly
status=0

if [ ! -x "$redocly" ]; then
  echo "lint/openapi: $redocly is missing: run 'bash scripts/deps.sh --test' (npm ci in tests/lint/openapi)"
  status=1
else
  # no usage telemetry and no update check: the only network a test may use is loopback
  if ! REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
    "$redocly" lint --config "$here/redocly.yaml" --format=stylish "$root/docs/openapi.yaml"; then
    echo "lint/openapi: redocly lint found errors in docs/openapi.yaml"
    status=1
  fi
fi

cd "$root" || exit 1
"${PYTHON3:-python3}" scripts/check_openapi.py "$root" || status=1
exit $status
