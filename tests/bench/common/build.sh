# common/build.sh — sourced by each tests/bench/*/run.sh (after `set -euo
# pipefail`): goes to the repository root, and defines
#   bench_build TARGET [DEPS_ARGS...]
# which installs what scripts/deps.sh lists (with DEPS_ARGS) and builds driftd
# and TARGET in Release into build-bench/.
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."

bench_build() {
  local target=$1
  shift
  bash scripts/deps.sh "$@"
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRIFTD_BENCH=ON >/dev/null
  cmake --build build-bench -j"$(nproc)" --target driftd "$target" >/dev/null
}
