// The shim's processes (containerd-shim-v2.md §2): the `start` action, which derives the socket, binds it,
// writes <bundle>/address and re-executes itself as the long-lived daemon; and the daemon itself, which
// serves containerd.task.v2.Task on the inherited listener until Shutdown finds no task left.
// Threading: both run on the main thread; the daemon's work happens on ttrpc and reaper threads.
#pragma once

#include <string>

#include "shim/flags.h"
#include "shim/shim_main.h"

namespace wasipool::shim {

// Directory of the shims' sockets: runc's hard-coded /run/containerd/s, or $WASIPOOL_SHIM_SOCKET_DIR
// (tests and private containerds, which must not write into the machine's /run/containerd).
std::string shim_socket_dir();

// runc's convention: unix://<dir>/<hex sha256(address + "/" + ns + "/" + group)>.
std::string shim_socket_address(const std::string& containerd_address, const std::string& ns,
                                 const std::string& group);

// The grouping id from <bundle>/config.json's annotations: io.containerd.runc.v2.group, else
// io.kubernetes.cri.sandbox-id, else `id`. False + *error on an unreadable/malformed config.json.
bool grouping_id(const std::string& config_path, const std::string& id, std::string* group, std::string* error);

// The `start` action. Prints exactly the address on stdout; exit status for main.
int run_start(const ShimFlags& flags, const char* argv0);

// The daemon (no action). Exit status for main.
int run_daemon(Flavour flavour, const ShimFlags& flags);

}  // namespace wasipool::shim
