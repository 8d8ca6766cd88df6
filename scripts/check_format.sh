#!/usr/bin/env bash
# check_format.sh — every tracked .c/.h file is laid out as .clang-format says.
# A dry run: prints clang-format's complaints (file:line) and exits 1 if any;
# `clang-format -i FILE` fixes a file.  Run by ctest as lint/format.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find base ingest analysis server tests -name '*.[ch]')
if clang-format --dry-run --Werror "${files[@]}"; then
  echo "check_format: ${#files[@]} files formatted as .clang-format says"
else
  echo "check_format: files above differ from .clang-format (clang-format -i FILE fixes one)" >&2
  exit 1
fi
