#!/bin/sh
# Pod start to first HTTP answer through containerd's CRI: spin pod vs native runc pod, same run, plus
# pods/s and a clean-teardown check after the cycles (owner: cri; see docs/cri.md).
# Usage: bench/cri_podstart.sh [BUILD_DIR] [CYCLES]   (root; needs containerd, runc, docker-registry)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
cycles=${2:-50}
ninja -C "$build" cri_all >/dev/null
exec /usr/bin/python3 "$here/cri_podstart.py" --build-dir "$build" --cycles "$cycles"
