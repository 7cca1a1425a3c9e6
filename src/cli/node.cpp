// wasipool node install|uninstall|status|label: argument parsing only; the work is in src/node.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "commands.h"
#include "node/node.h"

namespace wasipool::cli {
namespace {

void node_usage(std::FILE* out) {
  std::fputs(
      "usage: wasipool node install   [OPTIONS]   make this containerd node a WASI node\n"
      "       wasipool node uninstall [OPTIONS]   restore the config, remove the shims\n"
      "       wasipool node status    [OPTIONS]   what is installed; exit 0 only if complete\n"
      "       wasipool node label --kubeconfig F --node NAME [--remove]\n"
      "options:\n"
      "  --bin-dir DIR        where the shims go (default /usr/local/bin; must be on containerd's PATH)\n"
      "  --config PATH        containerd config (default /etc/containerd/config.toml)\n"
      "  --containerd BIN     containerd binary for version detection and config dump (default: containerd)\n"
      "  --config-version N   2 or 3: the version of a new/empty config (default: from containerd --version)\n"
      "  --kubeconfig F --node NAME   apply (install) or remove (uninstall) the node labels with kubectl\n"
      "  --kubectl BIN        (default: kubectl on PATH)\n"
      "  --systemctl BIN      (default: systemctl)\n"
      "  --host-namespaces    run containerd/systemctl in PID 1's namespaces (privileged hostPID pod)\n"
      "  --path PATH          containerd's PATH, for status' shim resolution (default: ours)\n"
      "  --no-restart         do not restart containerd; print what to restart\n"
      "  --no-dump            status: skip `containerd config dump`\n"
      "  --dry-run            show what install would change, change nothing\n"
      "  --force              replace foreign files under our names; uninstall over later config edits\n",
      out);
}

}  // namespace

int node_main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    node_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string action = argv[1];
  node::Options o;
  struct Value {
    const char* flag;
    std::string* dest;
  } values[] = {{"--bin-dir", &o.bin_dir},       {"--config", &o.config},         {"--containerd", &o.containerd},
                {"--kubeconfig", &o.kubeconfig}, {"--node", &o.node_name},        {"--kubectl", &o.kubectl},
                {"--systemctl", &o.systemctl},   {"--path", &o.path}};
  struct Flag {
    const char* flag;
    bool* dest;
  } flags[] = {{"--no-restart", &o.no_restart}, {"--dry-run", &o.dry_run}, {"--host-namespaces", &o.host_namespaces},
               {"--force", &o.force},           {"--no-dump", &o.no_dump}, {"--remove", &o.remove}};
  std::string config_version;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (std::size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    bool matched = false;
    for (Flag& f : flags) {
      if (arg == f.flag && !has_value) {
        *f.dest = true;
        matched = true;
      }
    }
    std::string* dest = arg == "--config-version" ? &config_version : nullptr;
    for (Value& v : values)
      if (arg == v.flag) dest = v.dest;
    if (dest) {
      if (!has_value) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "wasipool node: %s needs a value\n", arg.c_str());
          return 2;
        }
        value = argv[++i];
      }
      if (value.empty()) {
        std::fprintf(stderr, "wasipool node: %s needs a non-empty value\n", arg.c_str());
        return 2;
      }
      *dest = value;
      matched = true;
    }
    if (!matched) {
      std::fprintf(stderr, "wasipool node: unknown option '%s' (try 'wasipool node --help')\n", argv[i]);
      return 2;
    }
  }
  if (!config_version.empty()) {
    if (config_version != "2" && config_version != "3") {
      std::fprintf(stderr, "wasipool node: --config-version must be 2 or 3\n");
      return 2;
    }
    o.config_version = std::atoi(config_version.c_str());
  }
  if (action == "install") return node::install(o, stdout, stderr);
  if (action == "uninstall") return node::uninstall(o, stdout, stderr);
  if (action == "status") return node::status(o, stdout, stderr);
  if (action == "label") return node::label(o, stdout, stderr);
  std::fprintf(stderr, "wasipool node: unknown action '%s' (install, uninstall, status, label)\n", action.c_str());
  return 2;
}

}  // namespace wasipool::cli
