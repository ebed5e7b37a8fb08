#!/usr/bin/env bash
# podgate.sh — one entry point for a fresh Debian 12 machine (run as root).
#   ./podgate.sh demo   install what is missing, build, run the bundled example
#   ./podgate.sh test   install what is missing, build, run the whole test suite
#   ./podgate.sh deps   only install what is missing
#   ./podgate.sh build  only build (into ./build)
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}
PACKAGES=(
  meson ninja-build pkg-config g++ clang libclang-rt-14-dev
  libdpdk-dev dpdk-dev
  libyaml-cpp-dev libspdlog-dev libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev
  libbenchmark-dev libpcap-dev
  python3 python3-scapy python3-yaml
  iproute2 ethtool tcpdump iputils-ping curl socat ncat
)

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "podgate: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --buildtype=release
  fi
  ninja -C "$BUILD_DIR"
}

demo() {
  local ex=examples/seed/manifests flows=examples/seed/flows.txt
  echo "== podgate-policy check $ex"
  "$BUILD_DIR/tools/policy/podgate-policy" check "$ex"
  echo
  echo "== podgate-policy verdict --flows $flows $ex"
  paste -d' ' <(grep -v '^\s*\(#\|$\)' "$flows" | sed 's/^/  /') \
              <("$BUILD_DIR/tools/policy/podgate-policy" verdict --flows "$flows" "$ex" | sed 's/^/ => /')
}

run_tests() {
  local rc=0
  meson test -C "$BUILD_DIR" --num-processes 2 --print-errorlogs "$@" || rc=$?
  # A plain closing line CI recognises, counted from meson's own log.
  /usr/bin/python3 - "$BUILD_DIR/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    key = "OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"
    counts[key] += 1
print(f"{counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
  return $rc
}

case "${1:-}" in
  deps) deps ;;
  build) deps; build ;;
  demo) deps; build; demo ;;
  test) shift; deps; build; run_tests "$@" ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac
