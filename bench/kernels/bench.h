// Shared by every kernel: the repetition count comes from argv[1] (default per kernel) so the same
// binary runs full-size under `bench/run.sh` and small under callgrind; every kernel prints a checksum
// of all its work so native and wasm outputs can be compared (and the optimiser cannot drop the work).
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline long bench_reps(int argc, char** argv, long dflt) {
  if (argc > 1) {
    long v = strtol(argv[1], NULL, 10);
    if (v > 0) return v;
  }
  return dflt;
}

// xorshift32: deterministic, identical on every target.
static inline uint32_t bench_rand(uint32_t* s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}
