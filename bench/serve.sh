#!/usr/bin/env bash
# `wasipool serve` throughput and latency under wrk, as ratios against a native route of the same server
# measured in the same run: /.well-known/spin/health is answered by the server itself (no guest), /hello by
# a fresh guest instance per request (WAGI in spin.toml, the Spin 1.x ABI in spin-abi.toml). Then the
# per-request instantiation cost through the embedding API (bench/instantiate.cpp).
# Traffic goes to 127.0.0.1 only. usage: bench/serve.sh BUILD_DIR [SECONDS] [CONNECTIONS]
set -euo pipefail
build=${1:?usage: bench/serve.sh BUILD_DIR [SECONDS] [CONNECTIONS]}
secs=${2:-5}
conns=${3:-4}
command -v wrk >/dev/null || { echo "serve.sh: wrk is not installed (make deps installs it)" >&2; exit 1; }

pick_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One wrk run: prints "RPS P50_US P99_US".
measure() {
  local out
  out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$1")
  awk -v out="$out" 'BEGIN {
      n = split(out, lines, "\n")
      for (i = 1; i <= n; i++) {
        split(lines[i], f, " ")
        if (lines[i] ~ /Requests\/sec/) rps = f[2]
        if (f[1] == "50%") p50 = f[2]
        if (f[1] == "99%") p99 = f[2]
      }
      printf "%s %s %s\n", rps, us(p50), us(p99)
    }
    function us(v,   x) {
      x = v + 0
      if (v ~ /us$/) return x
      if (v ~ /ms$/) return x * 1000
      if (v ~ /s$/) return x * 1000000
      return x
    }'
}

for manifest in spin.toml spin-abi.toml; do
  port=$(pick_port)
  "$build/wasipool" serve --listen "127.0.0.1:$port" "$build/examples/$manifest" >/dev/null 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/.well-known/spin/health" >/dev/null 2>&1 && break
    sleep 0.05
  done
  read -r n_rps n_p50 n_p99 < <(measure "http://127.0.0.1:$port/.well-known/spin/health")
  read -r w_rps w_p50 w_p99 < <(measure "http://127.0.0.1:$port/hello")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
  awk -v m="$manifest" -v nr="$n_rps" -v n5="$n_p50" -v n9="$n_p99" -v wr="$w_rps" -v w5="$w_p50" -v w9="$w_p99" \
      -v c="$conns" -v s="$secs" 'BEGIN {
    printf "%-14s native route: %8.0f req/s p50 %6.0f us p99 %6.0f us | /hello: %8.0f req/s p50 %6.0f us p99 %6.0f us | throughput ratio %.2f (%d conns, %ds)\n",
           m, nr, n5, n9, wr, w5, w9, (nr > 0 ? wr / nr : 0), c, s }'
done
"$build/bench/instantiate" "$build/examples/hello_wagi.wasm" 20000
