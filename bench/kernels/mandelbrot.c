// Floating point: Mandelbrot escape counts over a grid — f64 multiply/add and a data-dependent
// inner loop with compares and branches.
#include "bench.h"

int main(int argc, char** argv) {
  long size = bench_reps(argc, argv, 2000);  // grid is size x size
  const int max_iter = 100;
  uint32_t sum = 0;
  for (long py = 0; py < size; py++) {
    double ci = 2.0 * py / size - 1.0;
    for (long px = 0; px < size; px++) {
      double cr = 3.0 * px / size - 2.0;
      double zr = 0, zi = 0;
      int it = 0;
      while (it < max_iter && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        it++;
      }
      sum = sum * 33 + (uint32_t)it;
    }
  }
  printf("mandelbrot checksum %u\n", sum);
  return 0;
}
