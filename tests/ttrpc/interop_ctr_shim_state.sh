#!/usr/bin/env bash
# ttrpc.interop.ctr_shim_state FAKE_TASK_BIN — interop proof for our ttrpc Server: containerd's own Go
# ttrpc client (ctr 1.6, `ctr shim --id ID state`, which dials the abstract socket
# "/containerd-shim/NS/ID/shim.sock") calls containerd.task.v2.Task/State on FAKE_TASK_BIN, our Server
# with one typed handler. The JSON ctr prints must carry the handler's values; an unregistered method
# (`ctr shim start`) must come back as ttrpc's "method Start" UNIMPLEMENTED. No containerd daemon needed.
set -euo pipefail
bin=${1:?usage: interop_ctr_shim_state.sh FAKE_TASK_BIN}
command -v ctr >/dev/null || { echo "FAIL: ctr not installed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/ttrpc-ctrshim.XXXXXX)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

ns="ttrpc-interop-$$"
id="fake-$$"
"$bin" "$ns" "$id" >"$tmp/server.out" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q '^ready$' "$tmp/server.out" && break
  kill -0 "$pid" 2>/dev/null || { echo "FAIL: server exited: $(cat "$tmp/server.out")" >&2; exit 1; }
  sleep 0.05
done
grep -q '^ready$' "$tmp/server.out" || { echo "FAIL: server never became ready" >&2; exit 1; }

# --address only feeds ctr's hash for the newer socket name, which it tries first and finds absent.
ctr_shim() { ctr --address "$tmp/containerd.sock" --namespace "$ns" shim --id "$id" "$@"; }

# Three ctr processes at once: three connections served concurrently.
ctr_pids=()
for i in 1 2 3; do
  ctr_shim state >"$tmp/state$i.json" 2>&1 &
  ctr_pids+=($!)
done
for p in "${ctr_pids[@]}"; do wait "$p" || true; done  # judged by their output below
for i in 1 2 3; do
  out=$(cat "$tmp/state$i.json")
  for want in "\"id\": \"$id\"" "\"bundle\": \"/bundles/$id\"" '"pid": 4242' '"status": 2' "\"stdout\": \"/fifo/$id-stdout\""; do
    if ! grep -qF "$want" <<<"$out"; then
      echo "FAIL: ctr shim state #$i lacks $want; output:" >&2
      echo "$out" >&2
      exit 1
    fi
  done
done
echo "ctr shim state: $(tr -d '\n ' <"$tmp/state1.json")"

if out=$(ctr_shim start 2>&1); then
  echo "FAIL: ctr shim start succeeded against a server without Start: $out" >&2
  exit 1
fi
grep -q "method Start" <<<"$out" || { echo "FAIL: unexpected error for Start: $out" >&2; exit 1; }
echo "ctr shim start: $out"
kill -0 "$pid" 2>/dev/null || { echo "FAIL: server died" >&2; exit 1; }
echo "PASS"
