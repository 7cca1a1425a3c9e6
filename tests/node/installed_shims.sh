#!/bin/bash
# The names `wasipool node install` puts in a bin dir ARE working containerd shims: Debian's containerd,
# with only that bin dir added to its PATH (never the build dir), runs a WASI module through
# io.containerd.wasm.v1 and the seed's spin app through io.containerd.spin.v1 (curl /hello -> hello).
# That exercises the relative symlinks (argv[0] picks the flavour) and the installed shim running
# the installed wasipool for its workloads. The private containerd and its leak checks are the e2e harness's
# (tests/e2e/containerd_env.sh). Usage: installed_shims.sh WASIPOOL EXAMPLES_DIR
set -u
WASIPOOL=$1
EX=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/e2e/containerd_env.sh"
[ -f "$EX/hello.wasm" ] && [ -f "$EX/spin.toml" ] && [ -f "$EX/hello_wagi.wasm" ] || ctd_fail "examples not built in $EX"
BINROOT=$(mktemp -d /tmp/wasipool-node-bin.XXXXXX)
"$WASIPOOL" node install --bin-dir "$BINROOT" --config "$BINROOT/config.toml" --no-restart >"$BINROOT/install.out" 2>&1 ||
  { cat "$BINROOT/install.out"; rm -rf "$BINROOT"; ctd_fail "install"; }
ctd_start "$BINROOT"
# The bin dir goes only after containerd and its shims are gone (the harness's trap stops them first).
_node_exit() { local rc=$?; (exit "$rc"); (_ctd_exit_trap); rc=$?; rm -rf "$BINROOT"; exit "$rc"; }
trap _node_exit EXIT
CPATH=$(tr '\0' '\n' <"/proc/$CTD_PID/environ" | sed -n 's/^PATH=//p')
case "$CPATH" in "$BINROOT:"*) ;; *) ctd_fail "containerd's PATH does not start with the installed bin dir: $CPATH" ;; esac
"$WASIPOOL" node status --bin-dir "$BINROOT" --config "$BINROOT/config.toml" --path "$CPATH" --no-dump >"$BINROOT/status" 2>&1 ||
  { cat "$BINROOT/status"; ctd_fail "status with containerd's PATH"; }
W=$CTD_DIR/work; mkdir -p "$W/wasm" "$W/spin"
img() { "$WASIPOOL" image build "$2" -t "$1" -o "$W/img.tar" >/dev/null && ctr_ image import "$W/img.tar" >/dev/null || ctd_fail "image $1"; }

cp "$EX/hello.wasm" "$W/wasm/"
img node-wasm:1 "$W/wasm"
out=$(ctr_ run --rm --runtime io.containerd.wasm.v1 node-wasm:1 nw1 /hello.wasm installed) || ctd_fail "ctr run wasm: $out"
echo "$out"
printf '%s' "$out" | grep -q '^Hello from WebAssembly on wasipool!' || ctd_fail "wasm output: $out"
printf '%s' "$out" | grep -q '^arg 1: installed' || ctd_fail "wasm args: $out"

cp "$EX/spin.toml" "$EX/hello_wagi.wasm" "$W/spin/"
img node-spin:1 "$W/spin"
port=$(ctd_free_port)
ctr_ run -d --net-host --runtime io.containerd.spin.v1 --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$port node-spin:1 ns1 ||
  ctd_fail "ctr run -d spin"
body=
for _ in $(seq 100); do body=$(curl -sf --max-time 2 "http://127.0.0.1:$port/hello") && break; sleep 0.1; done
[ "$(printf '%s' "$body" | tr -d '\r\n')" = hello ] || ctd_fail "GET /hello through the installed spin shim: '$body'"
echo "GET /hello -> $body"
ctr_ task kill ns1 || ctd_fail "task kill"
for _ in $(seq 100); do [ "$(ctr_ task ls 2>/dev/null | awk '$1 == "ns1" { print $3 }')" = STOPPED ] && break; sleep 0.1; done
ctr_ task delete ns1 >/dev/null || ctd_fail "task delete"
ctr_ container rm ns1 || ctd_fail "container rm"
echo PASS
