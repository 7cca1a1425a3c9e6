#!/usr/bin/env bash
# bench/startup.sh BUILD_DIR — whole-process startup of `wasipool run hello.wasm` against the native
# build of the same C source (examples/hello/hello.c, both -O2), as ratios (owner: run).
#
#   wall time  hyperfine, no shell, warm cache: mean of STARTUP_RUNS runs (default 300) each
#   CPU time   user+sys of the child (bench/cputime, from wait4's rusage), best of STARTUP_RUNS
#   peak RSS   /usr/bin/time -f %M, the median of 21 runs
# The targets (issue 3): wall ratio <= 1.6 and wasipool's peak RSS <= 3 MiB. With --check the exit
# status says whether both were met; otherwise it is 0 whenever the measurement itself worked.
# On a busy machine wall time is noisy: the CPU-time ratio is printed as the steadier second opinion.
set -euo pipefail

check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
if [[ $# -lt 1 ]]; then
  echo "usage: bench/startup.sh [--check] BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
wasipool=$build/wasipool
wasm=$build/examples/hello.wasm
native=$build/examples/hello.native
cputime=$build/bench/cputime
runs=${STARTUP_RUNS:-300}
for f in "$wasipool" "$wasm" "$native"; do
  [[ -e $f ]] || { echo "startup: missing $f (build first: make build)" >&2; exit 2; }
done
command -v hyperfine >/dev/null || { echo "startup: hyperfine is not installed (make deps)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "startup: /usr/bin/time is not installed (make deps)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Both must print the same thing, or the comparison is meaningless.
"$native" >"$tmp/native.out"
"$wasipool" run "$wasm" >"$tmp/wasm.out"
cmp -s "$tmp/native.out" "$tmp/wasm.out" || { echo "startup: outputs differ" >&2; diff "$tmp/native.out" "$tmp/wasm.out" >&2; exit 1; }

# Wall time: hyperfine without an intermediate shell (-N), outputs discarded.
hyperfine -N --style none --warmup 30 --runs "$runs" --export-csv "$tmp/wall.csv" \
  "$native" "$wasipool run $wasm" >/dev/null 2>&1
# CSV: command,mean,stddev,median,user,system,min,max (seconds)
read -r native_wall native_sd < <(awk -F, 'NR==2 {print $2*1000, $3*1000}' "$tmp/wall.csv")
read -r wasm_wall wasm_sd < <(awk -F, 'NR==3 {print $2*1000, $3*1000}' "$tmp/wall.csv")

# CPU time, best of N, in microseconds (bench/cputime writes seconds), when cputime has been built.
best_cpu() {
  local i
  for ((i = 0; i < runs; i++)); do
    "$cputime" "$tmp/t" "$@" >/dev/null 2>&1 || return 1
    cat "$tmp/t"
    echo
  done | awk 'NF { v = $1 * 1e6; if (best == "" || v < best) best = v } END { printf "%d", best }'
}
native_cpu="" wasm_cpu=""
if [[ -x $cputime ]]; then
  native_cpu=$(best_cpu "$native")
  wasm_cpu=$(best_cpu "$wasipool" run "$wasm")
fi

# Peak RSS in KiB, median of 21 runs each.
median_rss() {
  for _ in $(seq 21); do /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1; cat "$tmp/rss"; done | sort -n | sed -n 11p
}
native_rss=$(median_rss "$native")
wasm_rss=$(median_rss "$wasipool" run "$wasm")

wall_ratio=$(awk -v a="$wasm_wall" -v b="$native_wall" 'BEGIN { printf "%.2f", a / b }')
rss_ratio=$(awk -v a="$wasm_rss" -v b="$native_rss" 'BEGIN { printf "%.2f", a / b }')
wall_ok=$(awk -v r="$wall_ratio" 'BEGIN { print (r <= 1.6) ? "yes" : "NO" }')
rss_ok=$(awk -v k="$wasm_rss" 'BEGIN { print (k <= 3072) ? "yes" : "NO" }')

echo "startup: \`wasipool run hello.wasm\` vs native hello (examples/hello/hello.c), $runs runs each"
printf '  wall time  native %.3f ms (sd %.3f)   wasipool %.3f ms (sd %.3f)   ratio %s   (target <= 1.6: %s)\n' \
  "$native_wall" "$native_sd" "$wasm_wall" "$wasm_sd" "$wall_ratio" "$wall_ok"
if [[ -n $wasm_cpu ]]; then
  cpu_ratio=$(awk -v a="$wasm_cpu" -v b="$native_cpu" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf '  CPU time   native %d us   wasipool %d us   ratio %s   (best of %d, user+sys)\n' \
    "$native_cpu" "$wasm_cpu" "$cpu_ratio" "$runs"
fi
printf '  peak RSS   native %.2f MiB   wasipool %.2f MiB   ratio %s   (target <= 3 MiB: %s)\n' \
  "$(awk -v k="$native_rss" 'BEGIN { print k / 1024 }')" "$(awk -v k="$wasm_rss" 'BEGIN { print k / 1024 }')" \
  "$rss_ratio" "$rss_ok"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

if ((check)) && [[ $wall_ok != yes || $rss_ok != yes ]]; then exit 1; fi
exit 0
