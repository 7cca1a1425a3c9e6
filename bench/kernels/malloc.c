// malloc-heavy: a pool of live blocks where each step frees a random block and allocates a new one of
// a random size (mostly small, sometimes large), touching what it allocates — the allocator's free
// lists and splitting/coalescing, plus memory.grow when the heap expands.
#include "bench.h"
#include <string.h>

#define SLOTS 8192

static void* slot[SLOTS];
static uint32_t slot_len[SLOTS];

int main(int argc, char** argv) {
  long reps = bench_reps(argc, argv, 15000000);
  uint32_t seed = 4242, sum = 0;
  for (long r = 0; r < reps; r++) {
    uint32_t x = bench_rand(&seed);
    uint32_t i = x % SLOTS;
    if (slot[i]) {
      const uint8_t* p = slot[i];
      sum = sum * 31 + p[0] + p[slot_len[i] - 1];
      free(slot[i]);
      slot[i] = NULL;
    }
    if ((x >> 13) & 1) continue;  // about half the steps leave the slot empty: the live set churns
    uint32_t len = 8 + ((x >> 14) & 255);
    if (((x >> 22) & 63) == 0) len += (x >> 16) & 0xffff;  // 1 in 64 blocks is up to 64 KiB
    uint8_t* p = malloc(len);
    if (!p) {
      printf("malloc failed\n");
      return 1;
    }
    p[0] = (uint8_t)x;
    p[len - 1] = (uint8_t)(x >> 8);
    slot[i] = p;
    slot_len[i] = len;
  }
  for (uint32_t i = 0; i < SLOTS; i++) free(slot[i]);
  printf("malloc checksum %u\n", sum);
  return 0;
}
