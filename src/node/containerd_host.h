// What the node's containerd is: its version (`containerd --version`), where it resolves a shim binary
// (runtime/v2 resolveRuntimePath), and what runtimes its merged config holds (`containerd config dump`).
// Single-threaded CLI use.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wasipool::node {

struct ContainerdVersion {
  int major = 0;
  int minor = 0;
  std::string text;  // as printed, e.g. "1.6.20~ds1"
};

// Runs `<containerd> --version`. nullopt (with *why) when it cannot be run or parsed.
std::optional<ContainerdVersion> containerd_version(const std::string& containerd, bool host_namespaces,
                                                    std::string* why);

// The path containerd would exec for `runtime_type` (io.containerd.<x>.v1 -> containerd-shim-<x>-v1):
// PATH with /opt/containerd/bin first (containerd's `opt` plugin prepends it), then the directory of the
// containerd binary. `path_list` is containerd's PATH; `containerd_dir` may be empty.
std::optional<std::string> resolve_shim(const std::string& runtime_type, const std::string& path_list,
                                        const std::string& containerd_dir);

// The shim binary name containerd derives from a runtime_type: the last two dot-separated parts.
std::string shim_binary_for(const std::string& runtime_type);

// `<containerd> --config <config> config dump`: for each handler name, the runtime_type in the merged
// config (empty when absent). nullopt with *why when containerd fails.
std::optional<std::vector<std::string>> dumped_runtime_types(const std::string& containerd, const std::string& config,
                                                             bool host_namespaces, std::string* why);

}  // namespace wasipool::node
