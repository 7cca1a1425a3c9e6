// A plain WASI command: greets, echoes its arguments and environment size. Used by `make demo`.
#include <stdio.h>

int main(int argc, char** argv) {
  printf("Hello from WebAssembly on wasipool!\n");
  for (int i = 1; i < argc; ++i) printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
