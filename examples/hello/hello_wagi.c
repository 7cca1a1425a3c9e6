// The `make demo` guest (owner: spin): a WAGI handler, i.e. a plain WASI command that writes a CGI
// response to stdout. Served by examples/hello/spin.toml at /hello.
#include <stdio.h>

int main(void) {
  printf("Content-Type: text/plain\n\nhello");
  return 0;
}
