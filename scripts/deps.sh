#!/usr/bin/env bash
# Installs what driftd needs to build and run (Debian 12, as root).  Safe to
# run again: it installs only what is missing.  With --test it also installs
# what the test suite needs (clang for the fuzzer, clang-format for the layout check, SciPy for fixtures,
# Prometheus and promtool, Debian's chromium for the browser tests, PyYAML and jsonschema for the OpenAPI
# lint).  npm packages come from committed lock files with `npm ci`: Chart.js for the dashboard (web/,
# always), and with --test Redocly CLI (tests/lint/openapi) and playwright-core (tests/e2e).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcivetweb-dev libsqlite3-dev libcjson-dev
      libgsl-dev libopenblas-dev liblapacke-dev libcurl4-openssl-dev curl python3)
# a Node.js that came with its own npm (not Debian's) is kept
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(clang clang-format libclang-rt-14-dev python3-numpy python3-scipy python3-sklearn prometheus
         python3-yaml python3-jsonschema chromium)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
# npm ci from a folder's committed lock file, again only when the lock file changed
# (node_modules/.driftd-lock is the copy it was installed from).  $2: what fails without it.
npm_ci() {
  local dir=$root/$1
  cmp -s "$dir/package-lock.json" "$dir/node_modules/.driftd-lock" && return 0
  echo "deps: npm ci in $1"
  if (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null); then
    cp "$dir/package-lock.json" "$dir/node_modules/.driftd-lock"
  else
    echo "deps: npm ci in $1 failed; $2" >&2
    return 1
  fi
}
npm_ci web "the dashboard has no charts"
if [ "${1:-}" = "--test" ]; then
  # a failure leaves the tests that need the package to fail (saying so), not the whole command
  npm_ci tests/lint/openapi "lint/openapi will fail" || true
  npm_ci tests/e2e "the browser tests will fail" || true
fi
