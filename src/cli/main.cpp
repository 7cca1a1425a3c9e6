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
      "  serve [OPTIONS] [spin.toml]      serve a Spin application over HTTP\n"
      "  slight -c slightfile.toml run APP.wasm   serve a slight (SpiderLightning) application\n"
      "  image build DIR -t NAME:TAG -o IMAGE.tar  package a directory as an OCI image\n"
      "  node install|uninstall|status    make this containerd node a WASI node\n"
      "the containerd shims containerd-shim-{spin,slight,wasm}-v1 are the sibling binary wasipool-shim.\n",
      out);
}
}  // namespace

int main(int argc, char** argv) {
  // The containerd shim is the sibling binary wasipool-shim (src/shim/binary_main.cpp). A shim name
  // linked to this one by hand gets told so, in containerd's log, instead of the usage text.
  if (argc > 0) {
    const char* base = std::strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (std::strncmp(base, "containerd-shim-", 16) == 0) {
      std::fprintf(stderr, "%s: this is the wasipool CLI; the containerd shim is wasipool-shim (point %s at it, as "
                   "`wasipool node install` does)\n", base, base);
      return 1;
    }
  }
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char* cmd = argv[1];
  if (!std::strcmp(cmd, "run")) return wasipool::cli::run_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "spectest")) return wasipool::cli::spectest_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "serve")) return wasipool::cli::serve_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "image")) return wasipool::cli::image_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "slight")) return wasipool::cli::slight_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "node")) return wasipool::cli::node_main(argc - 1, argv + 1);
  if (!std::strcmp(cmd, "help") || !std::strcmp(cmd, "--help") || !std::strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "wasipool: unknown command '%s' (try 'wasipool help')\n", cmd);
  return 2;
}
