#!/usr/bin/env bash
# Installs what driftd needs to build and run (Debian 12, as root).  Safe to
# run again: it installs only what is missing.  With --test it also installs
# what the test suite needs (clang for the fuzzer, clang-format for the layout check, SciPy for fixtures,
# promtool, Node.js with npm, PyYAML and jsonschema for the OpenAPI lint: Redocly CLI from the lock file in
# tests/lint/openapi, installed into its node_modules/).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcivetweb-dev libsqlite3-dev libcjson-dev
      libgsl-dev libopenblas-dev liblapacke-dev libcurl4-openssl-dev curl python3)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(clang clang-format libclang-rt-14-dev python3-numpy python3-scipy python3-sklearn prometheus
         python3-yaml python3-jsonschema)
  # a Node.js that came with its own npm (not Debian's) is kept
  command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
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
if [ "${1:-}" = "--test" ]; then
  # Redocly CLI for lint/openapi: `npm ci` from the committed lock file, run again only when
  # the lock file changed (node_modules/.driftd-lock is the copy it was installed from)
  lint="$(cd "$(dirname "$0")/.." && pwd)/tests/lint/openapi"
  if ! cmp -s "$lint/package-lock.json" "$lint/node_modules/.driftd-lock"; then
    echo "deps: npm ci in tests/lint/openapi"
    # a failure leaves lint/openapi to fail (saying so), not the whole test command
    if (cd "$lint" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null); then
      cp "$lint/package-lock.json" "$lint/node_modules/.driftd-lock"
    else
      echo "deps: npm ci in tests/lint/openapi failed; lint/openapi will fail" >&2
    fi
  fi
fi
