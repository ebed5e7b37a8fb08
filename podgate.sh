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
  libpcap-dev clang-format
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
  echo
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  tools/traffic/podgate-traffic conversations --flows "$flows" --out "$tmp/in.pcap" >/dev/null
  echo "== podgate: replaying $(packets "$tmp/in.pcap") packets of those conversations through the daemon"
  echo "   (DPDK net_pcap port, hairpin; drop log on stderr)"
  "$BUILD_DIR/app/podgate" --no-huge --no-pci -m 512 -l 0-1 --file-prefix "podgate-demo-$$" --log-level error \
    --vdev "net_pcap0,rx_pcap=$tmp/in.pcap,tx_pcap=$tmp/out.pcap" -- \
    --manifests "$ex" --exit-on-idle 500 --stats-interval 0 --metrics-listen off \
    --drop-log - --idle-sleep-us 50 2> >(grep -v '^EAL:\|^TELEMETRY:' >&2)
  echo "forwarded to $tmp/out.pcap: $(packets "$tmp/out.pcap") packets"
}

packets() {
  /usr/bin/python3 -c 'import sys
from scapy.utils import RawPcapReader
print(sum(1 for _ in RawPcapReader(sys.argv[1])))' "$1"
}

# The whole suite, in three builds:
#   1. release build: every suite (unit, conformance, differential, pipeline,
#      func, live, e2e, ...)
#   2. ASan+UBSan build: the in-process suites again
#   3. clang libFuzzer build: each fuzz target for a bounded time
# PODGATE_QUICK=1 runs stage 1 only. Extra arguments go to meson test.
SANITIZED_SUITES=(unit conformance differential pipeline)

count_results() {
  /usr/bin/python3 - "$@" <<'PY'
import json, os, sys
ok = fail = skip = 0
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r == "SKIP":
            skip += 1
        else:
            fail += 1
print(f"{ok} passed, {fail} failed, {skip} skipped")
PY
}

run_tests() {
  local rc=0 logs=()
  echo "== stage 1: release build, all suites"
  meson test -C "$BUILD_DIR" --num-processes 2 --print-errorlogs --no-suite fuzz "$@" || rc=1
  cp "$BUILD_DIR/meson-logs/testlog.json" "$BUILD_DIR/testlog-stage1.json"
  logs+=("$BUILD_DIR/testlog-stage1.json")
  if [ "${PODGATE_QUICK:-0}" != 1 ]; then
    echo "== stage 2: AddressSanitizer + UndefinedBehaviorSanitizer build"
    [ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
      --buildtype=debugoptimized >/dev/null
    local suites=()
    for s in "${SANITIZED_SUITES[@]}"; do suites+=(--suite "$s"); done
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      meson test -C build-asan --num-processes 2 --print-errorlogs "${suites[@]}" || rc=1
    logs+=(build-asan/meson-logs/testlog.json)
    echo "== stage 3: libFuzzer targets (clang)"
    [ -f build-fuzz/build.ninja ] || CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true \
      -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized >/dev/null
    ninja -C build-fuzz tests/fuzz/fuzz_parse tests/fuzz/fuzz_manifest
    meson test -C build-fuzz --no-rebuild --suite fuzz --print-errorlogs || rc=1
    logs+=(build-fuzz/meson-logs/testlog.json)
  fi
  # A plain closing line CI recognises, counted from meson's own logs.
  count_results "${logs[@]}"
  return $rc
}

case "${1:-}" in
  deps) deps ;;
  build) deps; build ;;
  demo) deps; build; demo ;;
  test) shift; deps; build; run_tests "$@" ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac
