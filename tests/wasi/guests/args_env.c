// args_get/args_sizes_get, environ_get/environ_sizes_get: the guest sees exactly the arguments and
// exactly the environment granted with --env (WASIPOOL_TEST_CANARY and SECRET are set on the host
// but never granted, MISSING_VAR is granted by name but unset on the host).
// @env: INHERITED=from-host
// @env: SECRET=hunter2
// @run: --env A=1 --env "B=two words" --env INHERITED --env MISSING_VAR --env EMPTY= --env X==y {module} x "y z" ""
#include "wasi_test.h"

extern char** environ;

int main(int argc, char** argv) {
  printf("argc: %d\n", argc);
  size_t n0 = strlen(argv[0]);
  printf("argv[0] ends with args_env.wasm: %s\n",
         n0 >= 13 && strcmp(argv[0] + n0 - 13, "args_env.wasm") == 0 ? "yes" : "no");
  for (int i = 1; i < argc; ++i) printf("argv[%d]: [%s]\n", i, argv[i]);
  for (char** e = environ; *e; ++e) printf("env: [%s]\n", *e);
  printf("getenv(SECRET): %s\n", getenv("SECRET") ? "visible" : "absent");
  printf("getenv(WASIPOOL_TEST_CANARY): %s\n", getenv("WASIPOOL_TEST_CANARY") ? "visible" : "absent");

  // The raw calls: counts and buffer sizes include every NUL terminator.
  __wasi_size_t count = 0, size = 0;
  ERR("args_sizes_get", __wasi_args_sizes_get(&count, &size));
  size_t want = 0;
  for (int i = 0; i < argc; ++i) want += strlen(argv[i]) + 1;
  printf("args count %lu, size matches: %s\n", count, size == want ? "yes" : "no");
  ERR("environ_sizes_get", __wasi_environ_sizes_get(&count, &size));
  want = 0;
  for (char** e = environ; *e; ++e) want += strlen(*e) + 1;
  printf("environ count %lu, size matches: %s\n", count, size == want ? "yes" : "no");

  // args_get into a real buffer: the pointers point into the buffer, in order.
  uint8_t* ptrs[16];
  uint8_t buf[512];
  MUST(__wasi_args_sizes_get(&count, &size));
  ERR("args_get", __wasi_args_get(ptrs, buf));
  printf("args_get last: [%s], inside the buffer: %s\n", (char*)ptrs[count - 1],
         ptrs[count - 1] >= buf && ptrs[count - 1] < buf + size ? "yes" : "no");
  // Guest pointers past the end of memory must be refused, not followed.
  ERR("args_sizes_get out of bounds", __wasi_args_sizes_get((__wasi_size_t*)0xFFFFFFF0u, &size));
  ERR("args_get out of bounds", __wasi_args_get((uint8_t**)0xFFFFFFF0u, buf));
  ERR("environ_get out of bounds", __wasi_environ_get(ptrs, (uint8_t*)0xFFFFFFFEu));
  return 0;
}
