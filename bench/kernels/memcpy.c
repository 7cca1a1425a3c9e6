// memcpy-heavy: many memcpy/memmove/memset calls of mixed sizes (16 B .. 16 KiB) over an 8 MiB
// arena. Built twice for wasm: without -mbulk-memory every call runs wasi-libc's byte/word loops as
// wasm code; with -mbulk-memory (memcpy_bulk.wasm) they become memory.copy/memory.fill, which the
// engine turns into host memmove/memset.
#include "bench.h"
#include <string.h>

#define ARENA (8u << 20)
static uint8_t arena[ARENA];

int main(int argc, char** argv) {
  long reps = bench_reps(argc, argv, 10000000);
  uint32_t seed = 7;
  for (uint32_t i = 0; i < ARENA; i += 4) {
    uint32_t v = bench_rand(&seed);
    memcpy(arena + i, &v, 4);
  }
  uint32_t sum = 0;
  for (long r = 0; r < reps; r++) {
    uint32_t x = bench_rand(&seed);
    uint32_t len = 16u << (x & 7);             // 16 .. 2048
    len += (x >> 3) & 63 ? 0 : 12 * 1024;      // 1 in 64 copies is large
    len += (x >> 9) & 7;                       // unaligned tails
    uint32_t src = bench_rand(&seed) % (ARENA - len);
    uint32_t dst = bench_rand(&seed) % (ARENA - len);
    switch ((x >> 12) & 3) {
      case 0:
      case 1:
        if (src + len <= dst || dst + len <= src) {
          memcpy(arena + dst, arena + src, len);
          break;
        }
        /* overlapping: fall through to memmove */
      case 2:
        memmove(arena + dst, arena + src, len);
        break;
      case 3:
        memset(arena + dst, (int)(x >> 24), len);
        break;
    }
    sum = sum * 31 + arena[dst + len / 2];
  }
  for (uint32_t i = 0; i < ARENA; i += 4096) sum = sum * 31 + arena[i];
  printf("memcpy checksum %u\n", sum);
  return 0;
}
