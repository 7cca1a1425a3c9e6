#!/usr/bin/env bash
# fuzz/run.sh FUZZ_BUILD SECONDS [SEED_ROOT...] — build a libFuzzer target with clang in FUZZ_BUILD
# (configured on first use) and run it for SECONDS over a seed corpus regenerated each run:
#   FUZZ_TARGET=fuzz_load (default)  every *.wasm under the SEED_ROOTs (spec-test modules, examples, kernels)
#   FUZZ_TARGET=fuzz_ttrpc           well-formed ttrpc connection streams written by the target itself
#   FUZZ_TARGET=fuzz_slightfile      every slightfile*.toml under the SEED_ROOTs and examples/slight
#
# Corpus (kept between runs): FUZZ_BUILD/fuzz/corpus (fuzz_load) or FUZZ_BUILD/fuzz/<target>.work/corpus.
# Crashes: .../artifacts/. Log: .../last.log. Environment: FUZZ_SEED (libFuzzer -seed; random if unset),
# FUZZ_JOBS (build parallelism, default nproc), FUZZ_CALL=1 (also call exports, see fuzz_load.cpp),
# FUZZ_ARGS (extra libFuzzer flags). Exit status: libFuzzer's — non-zero when it found a crash, leak,
# timeout or OOM.
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
target=${FUZZ_TARGET:-fuzz_load}
cmake --build "$build" -j "$jobs" --target "$target"

work=$(cd "$build" && pwd)/fuzz
[[ $target == fuzz_load ]] || work=$work/$target.work
mkdir -p "$work/corpus" "$work/artifacts"
rm -rf "$work/seeds"
mkdir -p "$work/seeds"
dict=()
case $target in
fuzz_load)
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
dict=(-dict="$src/fuzz/wasm.dict")
;;
fuzz_ttrpc)
  export WASIPOOL_FUZZ_TTRPC_SEEDS=$work/seeds
  ;;
fuzz_slightfile)
  nseeds=0
  while IFS= read -r -d '' f; do
    cp "$f" "$work/seeds/$(sha1sum "$f" | cut -c1-40)"
    nseeds=$((nseeds + 1))
  done < <(find "$src/examples/slight" "$@" -name '*.toml' -size -64k -not -path "$work/*" -print0 2>/dev/null)
  ;;
*)
  echo "fuzz: unknown FUZZ_TARGET '$target'" >&2
  exit 2
  ;;
esac
echo "fuzz: $target, $(ls "$work/seeds" | wc -l) seeds, $(ls "$work/corpus" | wc -l) corpus inputs, ${seconds}s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[[ ${FUZZ_CALL:-0} == 1 ]] && export WASIPOOL_FUZZ_CALL=1

args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
      "${dict[@]}" -artifact_prefix="$work/artifacts/" -print_final_stats=1)
[[ -n ${FUZZ_SEED:-} ]] && args+=(-seed="$FUZZ_SEED")
# shellcheck disable=SC2206
[[ -n ${FUZZ_ARGS:-} ]] && args+=($FUZZ_ARGS)

set +e
"$build/fuzz/$target" "${args[@]}" "$work/corpus" "$work/seeds" 2>&1 | tee "$work/last.log" |
  grep -E --line-buffered '^#[0-9]+[[:space:]]+(INITED|DONE|pulse)|^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|stat::)|oracle failed|^ +#[0-9]+ 0x'
rc=${PIPESTATUS[0]}
set -e

last=$(grep -E '^#[0-9]+[[:space:]]' "$work/last.log" | tail -1 || true)
echo "fuzz: last status: ${last:-none}"
if [[ $rc -ne 0 ]]; then
  echo "fuzz: FAILED (libFuzzer exit $rc); reproducers in $work/artifacts/:" >&2
  ls -t "$work/artifacts" | head -5 >&2
  echo "fuzz: reproduce with: $build/fuzz/$target $work/artifacts/<file>" >&2
fi
exit "$rc"
