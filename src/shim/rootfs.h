// The container's root filesystem: the snapshotter's mounts (CreateTaskRequest.rootfs) mounted onto
// <bundle>/rootfs in order at Create, and unmounted at Delete / `delete`.
#pragma once

#include <string>
#include <vector>

#include "shim/container.h"

namespace wasipool::shim {

// Mounts each entry onto `target` (or target + entry.target when set). On failure everything mounted
// so far is unmounted again. Returns "" or the error naming the mount index, type and errno.
std::string mount_rootfs(const std::vector<MountSpec>& mounts, const std::string& target);

// Unmounts everything stacked on `target` (MNT_DETACH when busy). Not mounted = success.
std::string unmount_rootfs(const std::string& target);

}  // namespace wasipool::shim
