// random_get: fills the buffer, differs between calls, accepts 0 bytes and large requests, and
// refuses a buffer that reaches past the end of memory.
#include <unistd.h>

#include "wasi_test.h"

static uint8_t big[1 << 16];

int main(void) {
  uint8_t a[32] = {0}, b[32] = {0};
  ERR("random_get 32", __wasi_random_get(a, sizeof a));
  MUST(__wasi_random_get(b, sizeof b));
  printf("two draws differ: %s\n", memcmp(a, b, sizeof a) ? "yes" : "no");
  int zeros = 0;
  for (size_t i = 0; i < sizeof a; ++i) zeros += a[i] == 0;
  printf("not all zero: %s\n", zeros < 32 ? "yes" : "no");
  ERR("random_get 0 bytes", __wasi_random_get(a, 0));
  ERR("random_get 64 KiB", __wasi_random_get(big, sizeof big));
  // Crude sanity of the bytes: every value shows up in 64 KiB of uniform data.
  int seen[256] = {0}, distinct = 0;
  for (size_t i = 0; i < sizeof big; ++i) seen[big[i]] = 1;
  for (int i = 0; i < 256; ++i) distinct += seen[i];
  printf("all 256 byte values seen: %s\n", distinct == 256 ? "yes" : "no");
  ERR("random_get out of bounds", __wasi_random_get((uint8_t*)0xFFFFFF00u, 0x200));
  ERR("random_get wrapping length", __wasi_random_get(a, 0xFFFFFFFFu));
  // libc's getentropy sits on random_get.
  uint8_t e1[16], e2[16];
  printf("getentropy: %d\n", getentropy(e1, sizeof e1) | getentropy(e2, sizeof e2));
  printf("getentropy varies: %s\n", memcmp(e1, e2, sizeof e1) ? "yes" : "no");
  return 0;
}
