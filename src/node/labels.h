// The node labels a WASI pool's nodes carry: the seed's (the RuntimeClasses' nodeSelectors match them)
// and our own wasipool.io/ forms. Applied with the operator's kubectl; wasipool never installs kubectl.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace wasipool::node {

// "key=true" for every label, seed labels first.
std::vector<std::string> node_labels();

// `kubectl --kubeconfig F label node NAME --overwrite k=v...` (or `k-` with remove). Prints what it
// runs and kubectl's output to `out`; false with *error when kubectl is absent or fails.
bool apply_node_labels(const std::string& kubectl, const std::string& kubeconfig, const std::string& node_name,
                       bool remove, std::FILE* out, std::string* error);

}  // namespace wasipool::node
