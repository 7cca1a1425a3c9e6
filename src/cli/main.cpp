// wasipool: dispatch to a subcommand.
#include <cstdio>
#include <cstring>

#include "commands.h"

namespace {
void usage(FILE* out) {
  std::fputs(
      "usage: wasipool <command> [options]\n"
      "commands:\n"
      "  run [OPTIONS] MODULE [ARGS...]   run a WASI command module\n"
      "  spectest FILE.json               run a wast2json spec test script\n"
      "  serve [OPTIONS] [spin.toml]      serve a Spin application over HTTP\n",
      out);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char* cmd = argv[1];
  if (!std::strcmp(cmd, "run")) return wasipool::cli::run_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "spectest")) return wasipool::cli::spectest_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "serve")) return wasipool::cli::serve_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "help") || !std::strcmp(cmd, "--help") || !std::strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "wasipool: unknown command '%s' (try 'wasipool help')\n", cmd);
  return 2;
}
