// See containerd_host.h.
#include "node/containerd_host.h"

#include <cstdlib>
#include <toml++/toml.h>

#include "node/handlers.h"
#include "node/process.h"

namespace wasipool::node {

std::optional<ContainerdVersion> containerd_version(const std::string& containerd, bool host_namespaces,
                                                    std::string* why) {
  ProcessResult r = run_process({containerd, "--version"}, host_namespaces, 30);
  if (!r.ok()) {
    *why = r.started ? "`" + containerd + " --version` exited " + std::to_string(r.exit_code) : r.output;
    return std::nullopt;
  }
  // "containerd github.com/containerd/containerd 1.6.20~ds1 <commit>" or ".../containerd/v2 v2.0.0 <commit>":
  // the first word after the module path that starts with a digit (or v + digit).
  std::size_t pos = 0;
  int word = 0;
  while (pos < r.output.size()) {
    std::size_t end = r.output.find_first_of(" \t\n", pos);
    if (end == std::string::npos) end = r.output.size();
    std::string w = r.output.substr(pos, end - pos);
    pos = end + 1;
    if (w.empty() || word++ < 2) continue;
    std::string v = (w[0] == 'v') ? w.substr(1) : w;
    if (v.empty() || v[0] < '0' || v[0] > '9') continue;
    ContainerdVersion cv;
    cv.text = w;
    cv.major = std::atoi(v.c_str());
    std::size_t dot = v.find('.');
    cv.minor = dot == std::string::npos ? 0 : std::atoi(v.c_str() + dot + 1);
    return cv;
  }
  *why = "cannot read a version in `" + containerd + " --version` output: " + r.output;
  return std::nullopt;
}

std::string shim_binary_for(const std::string& runtime_type) {
  std::size_t last = runtime_type.rfind('.');
  if (last == std::string::npos || last == 0) return {};
  std::size_t prev = runtime_type.rfind('.', last - 1);
  std::size_t start = prev == std::string::npos ? 0 : prev + 1;
  return "containerd-shim-" + runtime_type.substr(start, last - start) + "-" + runtime_type.substr(last + 1);
}

std::optional<std::string> resolve_shim(const std::string& runtime_type, const std::string& path_list,
                                        const std::string& containerd_dir) {
  std::string name = shim_binary_for(runtime_type);
  if (name.empty()) return std::nullopt;
  if (std::optional<std::string> p = find_in_path(name, "/opt/containerd/bin:" + path_list)) return p;
  if (!containerd_dir.empty() && is_executable_file(containerd_dir + "/" + name)) return containerd_dir + "/" + name;
  return std::nullopt;
}

std::optional<std::vector<std::string>> dumped_runtime_types(const std::string& containerd, const std::string& config,
                                                             bool host_namespaces, std::string* why) {
  ProcessResult r = run_process({containerd, "--config", config, "config", "dump"}, host_namespaces, 60);
  if (!r.ok()) {
    *why = "`" + containerd + " --config " + config + " config dump` failed: " + r.output;
    return std::nullopt;
  }
  // Log lines (level=warning ...) may precede the TOML; the dump starts at its first top-level key.
  std::size_t start = r.output.find("\ndisabled_plugins");
  std::string_view dump = r.output;
  if (r.output.rfind("disabled_plugins", 0) != 0 && start != std::string::npos) dump.remove_prefix(start + 1);
  toml::table doc;
  try {
    doc = toml::parse(dump, std::string_view{"config dump"});
  } catch (const toml::parse_error& e) {
    *why = "cannot parse `containerd config dump` output: " + std::string(e.description());
    return std::nullopt;
  }
  // The dump is in the config version containerd runs with: 2 for 1.x, 3 for 2.x.
  const char* sections[] = {"io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime"};
  std::vector<std::string> out(kHandlerCount);
  for (const char* s : sections) {
    for (std::size_t i = 0; i < kHandlerCount; ++i) {
      std::optional<std::string_view> rt =
          doc["plugins"][s]["containerd"]["runtimes"][kHandlers[i].name]["runtime_type"].value<std::string_view>();
      if (rt && out[i].empty()) out[i] = std::string(*rt);
    }
  }
  return out;
}

}  // namespace wasipool::node
