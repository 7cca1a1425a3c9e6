// Array loops: dense integer matrix multiply — loads/stores with address arithmetic in tight loops.
#include "bench.h"

#define N 256
static uint32_t a[N][N], b[N][N], c[N][N];

int main(int argc, char** argv) {
  long reps = bench_reps(argc, argv, 24);
  uint32_t seed = 12345, sum = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      a[i][j] = bench_rand(&seed) & 0xff;
      b[i][j] = bench_rand(&seed) & 0xff;
    }
  for (long r = 0; r < reps; r++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        uint32_t acc = 0;
        for (int k = 0; k < N; k++) acc += a[i][k] * b[k][j];
        c[i][j] = acc;
      }
    // Feed the result back so every repetition depends on the previous one.
    for (int i = 0; i < N; i++) {
      a[i][(i + r) % N] ^= c[i][i] & 0xff;
      sum = sum * 31 + c[i][N - 1 - i];
    }
  }
  printf("matmul checksum %u\n", sum);
  return 0;
}
