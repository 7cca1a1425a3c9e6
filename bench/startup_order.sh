#!/usr/bin/env bash
# bench/startup_order.sh BUILD_DIR > src/cli/startup.order — the link order of `wasipool`'s start-up
# path (owner: run). Lists, in first-call order, every function `wasipool run hello.wasm` executes
# (callgrind, mangled names), then every IFUNC resolver glibc's static start-up calls (the binary's
# IRELATIVE relocations). The link (src/cli/CMakeLists.txt) places them first and together, so the
# run touches a few 64 KiB windows of text instead of ~30 (fewer page faults, ~1 MiB less peak RSS).
# Regenerate after large changes to the run path; a stale list is only less effective (names that no
# longer exist are ignored). Needs valgrind and binutils.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: bench/startup_order.sh BUILD_DIR > src/cli/startup.order" >&2; exit 2; }
build=$(cd "$1" && pwd)
command -v valgrind > /dev/null || { echo "startup_order: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$tmp/cg.out" \
  "$build/wasipool" run "$build/examples/hello.wasm" > /dev/null 2> "$tmp/vg.log" ||
  { cat "$tmp/vg.log" >&2; exit 1; }
# (The linker takes one symbol name per line and no comments, so this script is the documentation.)
# callgrind names a function on its first mention only, as "fn=(id) name" or "cfn=(id) name", with
# "'N" appended for recursion levels.
sed -nE "s/^c?fn=\\([0-9]+\\) (.+)$/\\1/p" "$tmp/cg.out" | sed -E "s/'[0-9]+$//" | grep -v '^(below main)' |
  grep -v '^0x' | awk '!seen[$0]++' > "$tmp/called"  # (0x...: code callgrind could not name)
cat "$tmp/called"
# IFUNC resolvers: the symbols at the addresses IRELATIVE relocations name (addresses without leading 0s).
readelf -rW "$build/wasipool" | awk '/IRELATIV/ { print $4 }' | sort -u > "$tmp/irel"
nm "$build/wasipool" | awk 'NR == FNR { want[$1] = 1; next } { a = $1; sub(/^0+/, "", a) } (a in want) { print $3 }' \
  "$tmp/irel" - | sort -u | grep -vxF -f "$tmp/called" || true
# Every variant of the string functions the run calls: valgrind's virtual CPU makes the resolvers pick
# other variants (avx2) than the real one does (evex, avx512), so list the whole family (__memmove_*).
grep -oE '^__(mem|str|wmem|wcs)[a-z]+_' "$tmp/called" | sort -u > "$tmp/families"
nm "$build/wasipool" | awk '{ print $3 }' | grep -F -f "$tmp/families" | grep -vxF -f "$tmp/called" | sort -u || true
