#!/usr/bin/env bash
# Installs what driftd needs to build and run (Debian 12, as root).  Safe to
# run again: it installs only what is missing.  With --test it also installs
# what the test suite needs (clang for the fuzzer, clang-format for the layout check, SciPy for fixtures,
# promtool).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcivetweb-dev libsqlite3-dev libcjson-dev
      libgsl-dev libopenblas-dev liblapacke-dev libcurl4-openssl-dev curl python3)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(clang clang-format libclang-rt-14-dev python3-numpy python3-scipy python3-sklearn prometheus)
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
