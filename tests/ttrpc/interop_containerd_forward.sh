#!/usr/bin/env bash
# ttrpc.interop.containerd_forward FORWARD_BIN — interop proof for our ttrpc Client against the real
# thing: starts a private containerd 1.6 (root, state and sockets under a temp dir, CRI disabled), runs
# `ctr events`, sends a /tasks/oom event with FORWARD_BIN (our Client calling
# containerd.services.events.ttrpc.v1.Events/Forward) and requires ctr to print it. Needs root and
# Debian's containerd; fails loudly without them. Leaves nothing behind (trap).
set -euo pipefail
bin=${1:?usage: interop_containerd_forward.sh FORWARD_BIN}
[[ $(id -u) == 0 ]] || { echo "FAIL: needs root to run containerd" >&2; exit 1; }
command -v containerd >/dev/null || { echo "FAIL: containerd not installed" >&2; exit 1; }
command -v ctr >/dev/null || { echo "FAIL: ctr not installed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/ttrpc-interop.XXXXXX)
ctd_pid= ctr_pid=
cleanup() {
  [[ -n $ctr_pid ]] && kill "$ctr_pid" 2>/dev/null && wait "$ctr_pid" 2>/dev/null || true
  if [[ -n $ctd_pid ]]; then
    kill "$ctd_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$ctd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$ctd_pid" 2>/dev/null || true
    wait "$ctd_pid" 2>/dev/null || true
  fi
  # containerd mounts nothing without containers, but never rm -rf through a mount.
  grep -o " $tmp[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$tmp/containerd.sock"
[ttrpc]
  address = "$tmp/containerd.sock.ttrpc"
[debug]
  address = "$tmp/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$tmp/opt"
TOML

containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
ctd_pid=$!
ready=0
for _ in $(seq 200); do
  if [[ -S $tmp/containerd.sock.ttrpc ]] && ctr --address "$tmp/containerd.sock" version >/dev/null 2>&1; then
    ready=1
    break
  fi
  kill -0 "$ctd_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "FAIL: containerd did not come up; log:" >&2
  tail -20 "$tmp/containerd.log" >&2
  exit 1
fi

id="ttrpc-interop-$$"
ctr --address "$tmp/containerd.sock" events >"$tmp/events.txt" 2>&1 &
ctr_pid=$!

# ctr gives no sign that its subscription is live, so keep forwarding until one event shows up. Every
# Forward must be answered OK by containerd (that alone proves framing, envelope and metadata).
seen=0
for i in $(seq 100); do
  if ! out=$("$bin" "$tmp/containerd.sock.ttrpc" default "$id" 2>&1); then
    echo "FAIL: Forward #$i: $out" >&2
    tail -20 "$tmp/containerd.log" >&2
    exit 1
  fi
  if grep -q "/tasks/oom.*\"container_id\":\"$id\"" "$tmp/events.txt"; then
    seen=1
    break
  fi
  sleep 0.1
done
if [[ $seen != 1 ]]; then
  echo "FAIL: ctr events never showed the forwarded event; ctr output:" >&2
  cat "$tmp/events.txt" >&2
  exit 1
fi
echo "ctr events: $(grep -m1 "/tasks/oom" "$tmp/events.txt")"

# A Forward without the namespace is refused by containerd with a status we must surface as an error.
if out=$("$bin" "$tmp/containerd.sock.ttrpc" "" "$id" 2>&1); then
  echo "FAIL: Forward with an empty namespace was accepted: $out" >&2
  exit 1
fi
echo "empty namespace refused: $out"
echo "PASS"
