// Array loops: sieve of Eratosthenes over a byte array — strided stores and a sequential scan.
#include "bench.h"
#include <string.h>

#define LIMIT 4000000
static uint8_t composite[LIMIT + 1];

int main(int argc, char** argv) {
  long reps = bench_reps(argc, argv, 40);
  uint32_t total = 0;
  for (long r = 0; r < reps; r++) {
    uint32_t limit = LIMIT - (uint32_t)r * 1000;  // vary the bound so repetitions are not identical
    for (uint32_t i = 0; i <= limit; i++) composite[i] = 0;
    uint32_t count = 0;
    for (uint32_t i = 2; i <= limit; i++) {
      if (composite[i]) continue;
      count++;
      for (uint64_t j = (uint64_t)i * i; j <= limit; j += i) composite[j] = 1;
    }
    total = total * 7 + count;
  }
  printf("sieve checksum %u\n", total);
  return 0;
}
