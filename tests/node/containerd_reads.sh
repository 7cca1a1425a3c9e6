#!/bin/bash
# A real containerd (Debian's 1.6) runs with the config `wasipool node install` wrote: its CRI plugin
# loads ("ok" in `ctr plugins ls`), it logs the runtimes spin/slight/wasm with our runtime_types, and
# `wasipool node status` with the daemon's own PATH (from /proc/PID/environ) says every shim resolves to
# our bin dir. Private root/state/sockets/opt/CNI dirs under a temp dir; everything is stopped after.
# Usage: containerd_reads.sh WASIPOOL
set -u
WASIPOOL=$1
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (containerd)"; exit 1; }
command -v containerd >/dev/null && command -v ctr >/dev/null || { echo "FAIL: containerd/ctr not installed"; exit 1; }
T=$(mktemp -d /tmp/wasipool-node-ctd.XXXXXX)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done; kill -9 "$PID" 2>/dev/null; fi
  # anything containerd mounted under the temp dir (none expected without containers)
  grep -o " $T[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/log" ] && tail -20 "$T/log" >&2; exit 1; }
mkdir -p "$T/bin" "$T/cni-bin" "$T/cni-conf"
# The machine's containerd layout is never touched: every path containerd would default is redirected.
cat >"$T/config.toml" <<CFG
version = 2
root = "$T/root"
state = "$T/state"
[grpc]
  address = "$T/c.sock"
[ttrpc]
  address = "$T/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/opt"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$T/cni-bin"
  conf_dir = "$T/cni-conf"
CFG
"$WASIPOOL" node install --bin-dir "$T/bin" --config "$T/config.toml" --no-restart >"$T/install.out" 2>&1 ||
  { cat "$T/install.out"; fail "install"; }
PATH="$T/bin:$PATH" containerd --config "$T/config.toml" >"$T/log" 2>&1 &
PID=$!
for _ in $(seq 100); do
  ctr --address "$T/c.sock" version >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || fail "containerd exited"
  sleep 0.2
done
ctr --address "$T/c.sock" plugins ls >"$T/plugins" || fail "ctr plugins ls"
grep -E '^io\.containerd\.grpc\.v1 +cri +.* ok *$' "$T/plugins" || { cat "$T/plugins"; fail "CRI plugin did not load with the installed config"; }
for x in runc:io.containerd.runc.v2 spin:io.containerd.spin.v1 slight:io.containerd.slight.v1 wasm:io.containerd.wasm.v1; do
  grep -qF "${x%%:*}:{Type:${x#*:} " "$T/log" || fail "containerd's CRI config lacks runtime ${x%%:*} -> ${x#*:}"
  echo "containerd CRI runtime ${x%%:*} -> ${x#*:}"
done
CPATH=$(tr '\0' '\n' <"/proc/$PID/environ" | sed -n 's/^PATH=//p')
"$WASIPOOL" node status --bin-dir "$T/bin" --config "$T/config.toml" --path "$CPATH" >"$T/status" 2>&1 ||
  { cat "$T/status"; fail "status with containerd's PATH"; }
cat "$T/status"
grep -q '^status: installed$' "$T/status" || fail "status"
echo PASS
