// shim test guest: prints its arguments on stdout, then exits with the status given as argv[1] (default 0),
// so tests see args pass through and exit codes reach Wait/State/Delete/TaskExit unchanged.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) printf("%s%s", i > 1 ? " " : "", argv[i]);
  printf("\n");
  return argc > 1 ? atoi(argv[1]) : 0;
}
