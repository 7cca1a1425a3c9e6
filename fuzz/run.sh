#!/usr/bin/env bash
# fuzz/run.sh FUZZ_BUILD SECONDS [SEED_ROOT...] — build the libFuzzer target with clang in FUZZ_BUILD
# (configured on first use) and run it for SECONDS over a seed corpus of every *.wasm found under the
# SEED_ROOTs (the project's own build: spec-test modules, examples, bench kernels), regenerated each run.
#
# Corpus (kept between runs): FUZZ_BUILD/fuzz/corpus. Crashes: FUZZ_BUILD/fuzz/artifacts/. Log:
# FUZZ_BUILD/fuzz/last.log. Environment: FUZZ_SEED (libFuzzer -seed; random if unset), FUZZ_JOBS (build
# parallelism, default nproc), FUZZ_CALL=1 (also call exports, see fuzz_load.cpp), FUZZ_ARGS (extra
# libFuzzer flags). Exit status: libFuzzer's — non-zero when it found a crash, leak, timeout or OOM.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: fuzz/run.sh FUZZ_BUILD SECONDS [SEED_ROOT...]" >&2
  exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)
build=$1
seconds=$2
shift 2
jobs=${FUZZ_JOBS:-$(nproc)}

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWASIPOOL_FUZZ=ON -DWASIPOOL_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs" --target fuzz_load

work=$(cd "$build" && pwd)/fuzz
mkdir -p "$work/corpus" "$work/artifacts"
rm -rf "$work/seeds"
mkdir -p "$work/seeds"
# Seeds are named by content hash so duplicates collapse; modules over 256 KiB are skipped because
# libFuzzer mutates large inputs slowly and the small spec modules cover the same decoder paths.
nseeds=0
for root in "$@"; do
  [[ -d $root ]] || continue
  while IFS= read -r -d '' f; do
    h=$(sha1sum "$f" | cut -c1-40)
    cp "$f" "$work/seeds/$h"
    nseeds=$((nseeds + 1))
  done < <(find "$root" -name '*.wasm' -size -256k -not -path "$work/*" -print0)
done
echo "fuzz: $nseeds seed modules, $(ls "$work/corpus" | wc -l) corpus inputs, ${seconds}s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[[ ${FUZZ_CALL:-0} == 1 ]] && export WASIPOOL_FUZZ_CALL=1

args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
      -dict="$src/fuzz/wasm.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1)
[[ -n ${FUZZ_SEED:-} ]] && args+=(-seed="$FUZZ_SEED")
# shellcheck disable=SC2206
[[ -n ${FUZZ_ARGS:-} ]] && args+=($FUZZ_ARGS)

set +e
"$build/fuzz/fuzz_load" "${args[@]}" "$work/corpus" "$work/seeds" 2>&1 | tee "$work/last.log" |
  grep -E --line-buffered '^#[0-9]+[[:space:]]+(INITED|DONE|pulse)|^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|stat::)|oracle failed|^ +#[0-9]+ 0x'
rc=${PIPESTATUS[0]}
set -e

last=$(grep -E '^#[0-9]+[[:space:]]' "$work/last.log" | tail -1 || true)
echo "fuzz: last status: ${last:-none}"
if [[ $rc -ne 0 ]]; then
  echo "fuzz: FAILED (libFuzzer exit $rc); reproducers in $work/artifacts/:" >&2
  ls -t "$work/artifacts" | head -5 >&2
  echo "fuzz: reproduce with: $build/fuzz/fuzz_load $work/artifacts/<file>" >&2
fi
exit "$rc"
