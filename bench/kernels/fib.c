// Recursion: naive Fibonacci — measures call/return overhead (frame setup, argument passing).
#include "bench.h"

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char** argv) {
  long reps = bench_reps(argc, argv, 20);
  // n comes from the environment of the run, so the call tree cannot be folded at compile time.
  volatile uint32_t n = 34;
  uint32_t sum = 0;
  for (long r = 0; r < reps; r++) sum += fib(n + (uint32_t)(r & 1));
  printf("fib checksum %u\n", sum);
  return 0;
}
