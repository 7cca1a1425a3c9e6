// See labels.h.
#include "node/labels.h"

#include <cstdlib>

#include "node/handlers.h"
#include "node/process.h"

namespace wasipool::node {

std::vector<std::string> node_labels() {
  // The seed's labels (AKS WASI node pools; the seed RuntimeClasses select on them, deploy/runtimeclasses.yaml).
  std::vector<std::string> labels = {"kubernetes.azure.com/wasmtime-spin-v1=true",
                                     "kubernetes.azure.com/wasmtime-slight-v1=true"};
  // Ours: one per handler, plus the pool label the installer DaemonSet selects on.
  for (const Handler& h : kHandlers) labels.push_back("wasipool.io/runtime-" + std::string(h.name) + "-v1=true");
  labels.push_back("wasipool.io/pool=true");
  return labels;
}

bool apply_node_labels(const std::string& kubectl, const std::string& kubeconfig, const std::string& node_name,
                       bool remove, std::FILE* out, std::string* error) {
  std::vector<std::string> argv = {kubectl, "--kubeconfig", kubeconfig, "label", "node", node_name, "--overwrite"};
  std::vector<std::string> labels = node_labels();
  for (const std::string& l : labels) {
    // Uninstall keeps the pool label: the DaemonSet selects on it, and the operator owns pool membership.
    if (remove && l == "wasipool.io/pool=true") continue;
    argv.push_back(remove ? l.substr(0, l.find('=')) + "-" : l);
  }
  const char* path = std::getenv("PATH");
  if (!find_in_path(kubectl, path ? path : "/usr/bin:/bin")) {
    *error = "kubectl not found (looked for `" + kubectl + "` on PATH; wasipool does not install it): " +
             "install kubectl or pass --kubectl PATH, or label the node yourself";
    return false;
  }
  std::string shown;
  for (const std::string& a : argv) shown += (shown.empty() ? "" : " ") + a;
  std::fprintf(out, "running: %s\n", shown.c_str());
  // An argv, never a shell line: a node name or path cannot smuggle in commands.
  ProcessResult r = run_process(argv, false, 60);
  std::fputs(r.output.c_str(), out);
  if (!r.ok()) {
    *error = "kubectl label failed (exit " + std::to_string(r.exit_code) + ")";
    return false;
  }
  return true;
}

}  // namespace wasipool::node
