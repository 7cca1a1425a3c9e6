// A reactor (exports _initialize, no _start): `wasipool run` initialises it, then --invoke calls one
// export with arguments converted to its parameter types and prints the results, one per line.
// Run without --invoke (this case) it only initialises: exit 0, no output. cases/invoke_*.case
// run the exports.
// @cflags: -mexec-model=reactor
#include <stdint.h>
#include <stdio.h>

static int32_t initialized = 0;
__attribute__((constructor)) static void init(void) { initialized = 42; }

#define EXPORT(name) __attribute__((export_name(#name)))
EXPORT(get_init) int32_t get_init(void) { return initialized; }
EXPORT(add) int32_t add(int32_t a, int32_t b) { return a + b; }
EXPORT(add64) int64_t add64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
EXPORT(div_f64) double div_f64(double a, double b) { return a / b; }
EXPORT(half_f32) float half_f32(float a) { return a / 2; }
EXPORT(hello) void hello(void) {
  printf("hello from the reactor, initialised to %d\n", initialized);
  fflush(stdout);
}
EXPORT(crash) void crash(void) { __builtin_trap(); }
