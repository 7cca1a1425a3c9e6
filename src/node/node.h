// `wasipool node install|uninstall|status|label`: the steps that make a containerd node a WASI node,
// and their undo. Every path is an option so a test (or the CRI end-to-end suite) can prepare a private
// bin dir and config instead of the machine's. Single-threaded; output goes to the given streams.
#pragma once

#include <cstdio>
#include <string>

namespace wasipool::node {

struct Options {
  std::string bin_dir = "/usr/local/bin";
  std::string config = "/etc/containerd/config.toml";
  std::string containerd = "containerd";  // for the version, `config dump` and the shim search dir
  std::string systemctl = "systemctl";
  std::string kubectl = "kubectl";
  std::string kubeconfig;  // with node_name: apply (install) / remove (uninstall) the node labels
  std::string node_name;
  std::string path;        // containerd's PATH for shim resolution (status); default: our own PATH
  std::string self_exe = "/proc/self/exe";  // wasipool and wasipool-shim are installed from its directory
  int config_version = 0;  // 2 or 3 for a new/empty config; 0: from `containerd --version`
  bool no_restart = false;
  bool dry_run = false;
  bool host_namespaces = false;  // run containerd/systemctl in PID 1's namespaces (installer DaemonSet)
  bool force = false;            // replace foreign files under our names / restore a backup over later edits
  bool no_dump = false;          // status: skip `containerd config dump`
  bool remove = false;           // label: remove instead of apply
};

// Each returns the process exit code: 0 success (status: fully installed), 1 failure / not installed,
// 2 usage errors are the CLI's.
int install(const Options& o, std::FILE* out, std::FILE* err);
int uninstall(const Options& o, std::FILE* out, std::FILE* err);
int status(const Options& o, std::FILE* out, std::FILE* err);
int label(const Options& o, std::FILE* out, std::FILE* err);

}  // namespace wasipool::node
