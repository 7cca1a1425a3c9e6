#!/usr/bin/env bash
# bench/check.sh WASIPOOL BENCH_DIR — correctness, not speed (run by ctest as bench.checksums): every
# kernel, at a small repetition count, must print the same checksum under `wasipool run` as its native
# build. These are real clang -O2 programs, so this catches interpreter bugs the .wast tests miss.
set -uo pipefail
wasipool=$1
dir=$2
declare -A reps=([fib]=1 [matmul]=1 [sieve]=1 [nbody]=20000 [mandelbrot]=200 [sha256]=2
                 [memcpy]=100000 [malloc]=200000)
fail=0
n=0
for wasm in "$dir"/*.wasm; do
  k=$(basename "$wasm" .wasm)
  base=${k%_bulk}
  r=${reps[$base]:-1}
  want=$("$dir/$base.native" "$r") || { echo "FAIL $k: native exited $?"; fail=1; continue; }
  got=$(timeout 120 "$wasipool" run "$wasm" "$r") || { echo "FAIL $k: wasipool exited $?"; fail=1; continue; }
  if [[ $want != "$got" ]]; then
    echo "FAIL $k: native '$want' wasm '$got'"
    fail=1
  else
    echo "ok   $k: $got"
  fi
  n=$((n + 1))
done
[[ $n -gt 0 ]] || { echo "FAIL: no kernels in $dir"; exit 1; }
exit $fail
