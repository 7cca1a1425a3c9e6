// One image layer from a directory: a deterministic tar of its regular files, directories and
// symlinks (sorted by name, modes kept, owners and times zeroed). Called once per `image build`.
#pragma once
#include <string>

#include "wasipool/result.h"

namespace wasipool::oci {

// The uncompressed layer tar of everything below `dir` (not `dir` itself). Errors name the path:
// unreadable entries, special files (FIFOs, sockets, devices have no place in a wasm app image) and
// names starting with ".wh." (containerd would apply them as whiteouts, i.e. deletions).
Result<std::string, std::string> layer_from_dir(const std::string& dir);

}  // namespace wasipool::oci
