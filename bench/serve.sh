#!/usr/bin/env bash
# `wasipool serve` throughput and latency under wrk, as ratios against a native route of the same server
# measured in the same run: /.well-known/spin/health is answered by the server itself (no guest), /hello by
# a fresh guest instance per request (WAGI in spin.toml, the Spin 1.x ABI in spin-abi.toml). Then the
# per-request instantiation cost through the embedding API (bench/instantiate.cpp).
#
# The two routes are measured in alternating one-second slices (SLICES of each), and the ratio is taken
# over the totals: on a shared machine the load changes from second to second, and two back-to-back
# multi-second runs compare two different machines. The server's CPU time per request (from
# /proc/PID/stat around each slice) is printed too: it does not depend on how busy the other cores are.
# Traffic goes to 127.0.0.1 only. usage: bench/serve.sh BUILD_DIR [SLICES] [CONNECTIONS] [SERVE_ARGS...]
set -euo pipefail
build=${1:?usage: bench/serve.sh BUILD_DIR [SLICES] [CONNECTIONS] [SERVE_ARGS...]}
slices=${2:-5}
conns=${3:-4}
shift $(( $# < 3 ? $# : 3 ))
command -v wrk >/dev/null || { echo "serve.sh: wrk is not installed (make deps installs it)" >&2; exit 1; }
ticks=$(getconf CLK_TCK)

pick_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One one-second wrk slice against URL while PID serves it: prints "REQUESTS P50_US P99_US CPU_TICKS".
slice() {
  local out c0 c1
  c0=$(cpu_ticks "$2")
  out=$(wrk -t1 -c"$conns" -d1s --latency "$1")
  c1=$(cpu_ticks "$2")
  awk -v out="$out" -v cpu=$((c1 - c0)) 'BEGIN {
      n = split(out, lines, "\n")
      for (i = 1; i <= n; i++) {
        split(lines[i], f, " ")
        if (lines[i] ~ /requests in/) reqs = f[1]
        if (f[1] == "50%") p50 = f[2]
        if (f[1] == "99%") p99 = f[2]
      }
      printf "%s %s %s %s\n", reqs, us(p50), us(p99), cpu
    }
    function us(v,   x) {
      x = v + 0
      if (v ~ /us$/) return x
      if (v ~ /ms$/) return x * 1000
      if (v ~ /s$/) return x * 1000000
      return x
    }'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for manifest in spin.toml spin-abi.toml; do
  port=$(pick_port)
  "$build/wasipool" serve --listen "127.0.0.1:$port" "$@" "$build/examples/$manifest" >/dev/null 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/.well-known/spin/health" >/dev/null 2>&1 && break
    sleep 0.05
  done
  curl -sf "http://127.0.0.1:$port/hello" >/dev/null  # first call compiles the guest's functions
  : >"/tmp/serve-bench.$$.n"
  : >"/tmp/serve-bench.$$.w"
  for _ in $(seq "$slices"); do
    slice "http://127.0.0.1:$port/.well-known/spin/health" "$pid" >>"/tmp/serve-bench.$$.n"
    slice "http://127.0.0.1:$port/hello" "$pid" >>"/tmp/serve-bench.$$.w"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
  read -r n_req n_cpu < <(awk '{r += $1; c += $4} END {print r, c}' "/tmp/serve-bench.$$.n")
  read -r w_req w_cpu < <(awk '{r += $1; c += $4} END {print r, c}' "/tmp/serve-bench.$$.w")
  n_p50=$(cut -d' ' -f2 "/tmp/serve-bench.$$.n" | median); n_p99=$(cut -d' ' -f3 "/tmp/serve-bench.$$.n" | median)
  w_p50=$(cut -d' ' -f2 "/tmp/serve-bench.$$.w" | median); w_p99=$(cut -d' ' -f3 "/tmp/serve-bench.$$.w" | median)
  rm -f "/tmp/serve-bench.$$.n" "/tmp/serve-bench.$$.w"
  awk -v m="$manifest" -v nr="$n_req" -v nc="$n_cpu" -v n5="$n_p50" -v n9="$n_p99" -v wr="$w_req" -v wc="$w_cpu" \
      -v w5="$w_p50" -v w9="$w_p99" -v t="$ticks" -v c="$conns" -v s="$slices" 'BEGIN {
    ncpu = nr ? nc / t * 1e6 / nr : 0; wcpu = wr ? wc / t * 1e6 / wr : 0
    printf "%-14s native route: %8.0f req/s p50 %5.0f us p99 %6.0f us cpu %5.1f us/req | /hello: %8.0f req/s p50 %5.0f us p99 %6.0f us cpu %5.1f us/req | throughput ratio %.2f, cpu ratio %.2f (%d conns, %d x 1 s slices each)\n",
           m, nr / s, n5, n9, ncpu, wr / s, w5, w9, wcpu, (nr > 0 ? wr / nr : 0), (wcpu > 0 ? ncpu / wcpu : 0), c, s }'
done
"$build/bench/instantiate" "$build/examples/hello_wagi.wasm" 20000
