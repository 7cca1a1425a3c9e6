// --max-memory caps linear memory: growth beyond the cap fails (malloc returns NULL, memory.grow
// returns -1) instead of trapping or taking host memory. With the 4 MiB cap here, allocating
// 1 MiB blocks stops after at most 3; cases/memory_unlimited.case runs it without the cap.
// @run: --max-memory 4M {module}
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Kept in a global so the compiler cannot elide the allocations.
static char* volatile blocks_kept[64];

int main(int argc, char** argv) {
  int blocks = 0;
  for (; blocks < 64; ++blocks) {
    char* p = malloc(1 << 20);
    if (!p) break;
    memset(p, blocks, 1 << 20);  // touch it: the memory really exists
    blocks_kept[blocks] = p;
  }
  printf("1 MiB blocks allocated: %s\n", blocks >= 64 ? "64 (no cap hit)" : blocks <= 3 ? "3 or fewer" : "too many");
  size_t pages = __builtin_wasm_memory_size(0);
  int grow = (int)__builtin_wasm_memory_grow(0, 64);  // +4 MiB
  printf("memory.grow by 4 MiB: %s\n", grow == -1 ? "-1" : "grew");
  printf("memory size within the cap: %s\n", pages * 65536 <= 4u << 20 ? "yes" : "no");
  return 0;
}
