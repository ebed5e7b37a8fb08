#!/usr/bin/env bash
# tests/e2e/run.sh [BUILD_DIR] [run_e2e.py options, e.g. --case seed --keep]
# Builds podgate in BUILD_DIR (default: build) and runs the end-to-end cases
# as root. Prints each case's observations and a final "N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../../build}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  build=$1
  shift
fi
if [ -f "$build/build.ninja" ]; then
  ninja -C "$build" app/podgate >/dev/null
fi
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$here/run_e2e.py" --build-dir "$build" "$@"
