#!/usr/bin/env bash
# Owned by: spectest. Runs the public WebAssembly spec test suite through `wasipool spectest`.
#
#   tests/spec/run_public_suite.sh TESTSUITE_DIR [--wasipool BIN] [--out DIR] [--only NAME...]
#
# TESTSUITE_DIR is a checkout of the WebAssembly/testsuite repository (its late-2022 commits convert
# cleanly with Debian's wast2json 1.0.32). The suite is never part of this repository nor of
# `make test`: this script only converts its .wast files to JSON (wast2json) and runs them; it builds
# nothing it did not write. Covered: the core, non-SIMD, non-proposal files, i.e. the top-level
# *.wast minus simd_*. Prints one row per file (passed / total / skipped text commands / failed) and
# the totals; each file's failure lines are kept in OUT/NAME/failures.txt.
set -u

usage() { sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

suite=""
here=$(cd "$(dirname "$0")" && pwd)
wasipool="${WASIPOOL:-$here/../../build/wasipool}"
out="${TMPDIR:-/tmp}/wasipool-public-suite"
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wasipool) wasipool="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) suite="$1"; shift ;;
  esac
done
[ -n "$suite" ] && [ -d "$suite" ] || usage
[ -x "$wasipool" ] || { echo "wasipool binary not found at $wasipool (use --wasipool)" >&2; exit 2; }
command -v wast2json >/dev/null || { echo "wast2json not found (Debian package wabt)" >&2; exit 2; }
mkdir -p "$out"

files=()
if [ ${#only[@]} -gt 0 ]; then
  for n in "${only[@]}"; do files+=("$suite/${n%.wast}.wast"); done
else
  for f in "$suite"/*.wast; do
    case "$(basename "$f")" in simd_*) continue ;; esac
    files+=("$f")
  done
fi

printf '%-28s %7s %7s %7s %7s  %s\n' FILE PASSED TOTAL SKIPPED FAILED NOTE
sum_pass=0; sum_total=0; sum_skip=0; bad_files=0
for f in "${files[@]}"; do
  name=$(basename "$f" .wast)
  dir="$out/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  note=""
  if ! (cd "$(dirname "$f")" && wast2json -o "$dir/$name.json" "$(basename "$f")") 2>"$dir/wast2json.err"; then
    printf '%-28s %7s %7s %7s %7s  %s\n' "$name" - - - - "wast2json failed"
    bad_files=$((bad_files + 1))
    continue
  fi
  # A per-file time limit, so a hang in one file cannot stall the table (the driver also interrupts
  # any single command after 20 s).
  timeout 600 "$wasipool" spectest "$dir/$name.json" >"$dir/output.txt" 2>&1
  rc=$?
  last=$(grep -E '^[0-9]+/[0-9]+ tests passed\.$' "$dir/output.txt" | tail -1)
  skipped=$(sed -n 's/^\([0-9]*\) commands skipped.*/\1/p' "$dir/output.txt" | tail -1)
  skipped=${skipped:-0}
  grep -v -E '^[0-9]+/[0-9]+ tests passed\.$|^[0-9]+ commands skipped' "$dir/output.txt" >"$dir/failures.txt"
  if [ -z "$last" ]; then
    # The driver died before its summary (crash, abort, time limit): count every command as failed.
    total=$(grep '"type": *"\(module\|register\|action\|assert_[a-z]*\)"' "$dir/$name.json" | grep -vc '\.wat"')
    pass=0
    case $rc in
      124) note="timed out (600 s)" ;;
      *) note="crashed (exit $rc)" ;;
    esac
    bad_files=$((bad_files + 1))
  else
    pass=${last%%/*}; rest=${last#*/}; total=${rest%% *}
    # A summary followed by an unexpected exit status (e.g. a sanitizer's leak report at exit).
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then note="exit $rc after the summary"; bad_files=$((bad_files + 1)); fi
  fi
  failed=$((total - pass))
  [ -z "$note" ] && [ "$failed" -gt 0 ] && note="see $dir/failures.txt"
  printf '%-28s %7d %7d %7d %7d  %s\n' "$name" "$pass" "$total" "$skipped" "$failed" "$note"
  sum_pass=$((sum_pass + pass)); sum_total=$((sum_total + total)); sum_skip=$((sum_skip + skipped))
done

pct=$(awk -v p="$sum_pass" -v t="$sum_total" 'BEGIN { if (t) printf "%.2f", 100 * p / t; else print "0" }')
printf '%-28s %7d %7d %7d %7d  %s%%\n' TOTAL "$sum_pass" "$sum_total" "$sum_skip" $((sum_total - sum_pass)) "$pct"
echo "(${#files[@]} files; skipped = text-format module commands, not counted in TOTAL)"
[ "$sum_pass" -eq "$sum_total" ] && [ "$bad_files" -eq 0 ]
