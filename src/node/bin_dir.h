// The bin directory containerd finds shims in: `wasipool` (the CLI), `wasipool-shim` (the shim binary,
// src/shim/binary_main.cpp) and the three shim names as RELATIVE symlinks to wasipool-shim. Relative,
// because the installer DaemonSet writes the host's /usr/local/bin through a hostPath mount at another
// path: an absolute target would point into the installer container. One shim file on disk also means
// one atomic rename upgrades all three shims. Single-threaded CLI use.
#pragma once

#include <string>
#include <vector>

namespace wasipool::node {

// The files install copies.
struct BinSources {
  std::string cli;   // becomes DIR/wasipool
  std::string shim;  // becomes DIR/wasipool-shim
};
// The defaults: the running binary's directory holds both (the build directory, an unpacked release,
// the installer image, or the bin dir itself when the installed wasipool reinstalls).
BinSources sources_beside(const std::string& self_exe);

struct BinEntryStatus {
  std::string name;
  std::string state;  // human text: "-> wasipool-shim", "same binary as this one", "missing", ...
  bool ours = false;  // present and installed by us (symlink to wasipool-shim / one of our binaries)
  bool current = false;  // ours and up to date (binaries byte-identical to the sources; links resolve)
};

// Every name we manage (wasipool, wasipool-shim, the shim names), in display order.
std::vector<BinEntryStatus> bin_dir_status(const std::string& dir, const BinSources& src);

// Names that exist but are not ours (another product's containerd-shim-spin-v1, a directory named
// wasipool, ...): install refuses to replace them unless forced — silently swapping another runtime's
// shim would run that runtime's pods with our code.
std::vector<std::string> bin_dir_conflicts(const std::string& dir, const BinSources& src);

// Installs both binaries and the symlinks; each file is written beside its final name and renamed
// over it, so a shim containerd starts meanwhile is either the old or the new one, never a partial copy.
// Returns the list of changes (empty: already installed); false with *error on failure.
bool install_bin_dir(const std::string& dir, const BinSources& src, std::vector<std::string>* changes,
                     std::string* error);

// Removes the names that are ours; leaves others and says so in *changes.
bool uninstall_bin_dir(const std::string& dir, const BinSources& src, std::vector<std::string>* changes,
                       std::string* error);

// Byte comparison of two files (false if either cannot be read).
bool same_file_content(const std::string& a, const std::string& b);

}  // namespace wasipool::node
