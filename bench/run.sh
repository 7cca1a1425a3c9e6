#!/usr/bin/env bash
# bench/run.sh BUILD_DIR [KERNEL...] — the interpreter against native code, measured in the same run.
#
# For every kernel BUILD_DIR/bench/<k>.wasm (or only the KERNELs named), runs the native baseline
# <k>.native and `BUILD_DIR/wasipool run <k>.wasm`, each BENCH_RUNS times, keeps the best CPU time
# (user + sys of the child, from bench/cputime) of each, checks both printed the same checksum, and
# prints the ratio wasm/native per kernel and the geometric mean of the ratios. <k>_bulk.wasm (the
# -mbulk-memory build) is compared against <k>.native. Nothing here asserts a time: a benchmark only.
#
# Environment: BENCH_RUNS (default 3), BENCH_TIMEOUT seconds per wasm run (default 300),
#              BENCH_MARKDOWN=FILE also writes the table as Markdown (docs/bench.md uses it).
# Exit status: 0 when every kernel ran and matched, 1 otherwise (the table is printed either way).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: bench/run.sh BUILD_DIR [KERNEL...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
bench_dir="$build/bench"
wasipool="$build/wasipool"
cputime="$bench_dir/cputime"
runs=${BENCH_RUNS:-3}
timeout_s=${BENCH_TIMEOUT:-300}
markdown=${BENCH_MARKDOWN:-}

for f in "$wasipool" "$cputime"; do
  [[ -x $f ]] || { echo "bench: missing $f (build first: make build)" >&2; exit 2; }
done

if [[ $# -gt 0 ]]; then
  kernels=("$@")
else
  kernels=()
  for w in "$bench_dir"/*.wasm; do
    [[ -e $w ]] || continue
    k=$(basename "$w" .wasm)
    kernels+=("$k")
  done
fi
[[ ${#kernels[@]} -gt 0 ]] || { echo "bench: no kernels in $bench_dir" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best_of LABEL CMD... : runs CMD $runs times; prints the smallest CPU time; keeps the first run's
# stdout in $tmp/LABEL.out. Returns non-zero if any run failed.
best_of() {
  local label=$1
  shift
  local best="" t i
  for ((i = 0; i < runs; i++)); do
    if ! "$cputime" "$tmp/t" "$@" >"$tmp/$label.run" 2>"$tmp/$label.err"; then
      return 1
    fi
    [[ $i -eq 0 ]] && cp "$tmp/$label.run" "$tmp/$label.out"
    t=$(<"$tmp/t")
    if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
  done
  echo "$best"
}

rows=()
status=0
printf '%-14s %10s %10s %9s  %s\n' kernel native_s wasm_s ratio note
for k in "${kernels[@]}"; do
  wasm="$bench_dir/$k.wasm"
  native="$bench_dir/$k.native"
  [[ -x $native ]] || native="$bench_dir/${k%_bulk}.native"
  if [[ ! -f $wasm || ! -x $native ]]; then
    printf '%-14s %10s %10s %9s  %s\n' "$k" - - - "missing $wasm or its native baseline"
    status=1
    continue
  fi
  note=""
  if ! tn=$(best_of native "$native"); then
    note="native failed"
  elif ! tw=$(best_of wasm timeout "$timeout_s" "$wasipool" run "$wasm"); then
    note="wasm failed: $(head -c 200 "$tmp/wasm.err" | tr '\n' ' ')"
  elif ! cmp -s "$tmp/native.out" "$tmp/wasm.out"; then
    note="checksum MISMATCH: native '$(head -c 100 "$tmp/native.out" | tr -d '\n')' wasm '$(head -c 100 "$tmp/wasm.out" | tr -d '\n')'"
  fi
  if [[ -n $note ]]; then
    printf '%-14s %10s %10s %9s  %s\n' "$k" "${tn:--}" - - "$note"
    rows+=("| $k | ${tn:--} | - | - | $note |")
    status=1
    continue
  fi
  ratio=$(awk -v w="$tw" -v n="$tn" 'BEGIN { printf "%.2f", w / n }')
  printf '%-14s %10.3f %10.3f %8sx  %s\n' "$k" "$tn" "$tw" "$ratio" "$(tr -d '\n' <"$tmp/native.out" | head -c 60)"
  rows+=("| $k | $(printf %.3f "$tn") | $(printf %.3f "$tw") | ${ratio}× |")
  echo "$ratio" >>"$tmp/ratios"
done

geo="-"
if [[ -s $tmp/ratios ]]; then
  geo=$(awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }' "$tmp/ratios")
  count=$(wc -l <"$tmp/ratios")
  printf '%-14s %10s %10s %8sx  %s\n' geomean "" "" "$geo" "over $count kernels, best of $runs runs each"
fi

if [[ -n $markdown ]]; then
  {
    echo "| kernel | native CPU s | wasipool CPU s | wasm / native |"
    echo "|---|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo "| **geomean** | | | **${geo}×** |"
  } >"$markdown"
fi
exit $status
