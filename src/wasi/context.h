// The WASI context: the guest's fd table (stable numbering, rights, preopen names, per-directory
// readdir state), args and environment. Internal to src/wasi; the public face is wasi.h.
//
// Ownership: the Context owns every host descriptor in its table (preopens, opened files, accepted
// connections, the Config::listen_fds handed to it) except the stdio descriptors it was given
// (Config::stdin_fd/stdout_fd/stderr_fd), which the embedder keeps owning. Single-threaded, like the Store.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "abi.h"

namespace wasipool::wasi {

// Directory listing cached for fd_readdir so cookies stay stable: cookie n means "the n-th entry of
// the listing taken when the guest last read from cookie 0" (a rewind re-reads the directory).
struct DirListing {
  struct Entry {
    std::string name;
    uint64_t ino = 0;
    uint8_t type = abi::kUnknown;
  };
  std::vector<Entry> entries;
  bool valid = false;
};

struct FdEntry {
  int host = -1;                 // the host descriptor (O_RDONLY for anything under a read-only preopen)
  uint8_t filetype = abi::kUnknown;
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
  // Host-side capability bit, inherited by every descriptor opened through this one. The guest can
  // never set it back: it is not derived from the rights the guest echoes to us.
  bool read_only = false;
  bool owned = true;             // close `host` when the entry goes away
  // Descriptors not owned (inherited stdio) share their open file description with the host process:
  // an F_SETFL there would change the host's (e.g. the user's shell's) stdin too, and outlive the guest.
  // So NONBLOCK set by the guest on them is kept here and emulated with poll(2), never applied.
  bool emulated_nonblock = false;
  bool is_preopen = false;
  bool is_listener = false;      // a --tcplisten socket: only sock_accept/poll/close/fdstat apply
  std::string preopen_name;      // guest-visible name (fd_prestat_dir_name)
  std::unique_ptr<DirListing> listing;  // directories only, created on first fd_readdir
};

// Auto: openat2 when the kernel allows it, else the walk. Openat2/Walk force one strategy (set by
// WASIPOOL_WASI_RESOLVE=openat2|walk, so the escape corpus runs under each; Openat2 never falls back).
enum class ResolveMode : uint8_t { Auto, Openat2, Walk };

class Context {
 public:
  Context() = default;
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Null when `fd` is not open. The table is a dense vector indexed by guest fd: O(1) and
  // branch-light, because fd_write(1, ...) from printf is the hottest host call.
  FdEntry* get(uint32_t fd) {
    if (fd >= table_.size() || !table_[fd]) return nullptr;
    return table_[fd].get();
  }
  // Puts `e` at the lowest free guest fd and returns that number; -1 when the table is full.
  int64_t insert(std::unique_ptr<FdEntry> e);
  // Installs `e` at exactly `fd` (the table grows as needed); closes whatever was there.
  void place(uint32_t fd, std::unique_ptr<FdEntry> e);
  std::unique_ptr<FdEntry> take(uint32_t fd);

  std::vector<std::string> args;
  std::vector<std::string> env;
  ResolveMode resolve_mode = ResolveMode::Auto;
  bool openat2_works = true;     // cleared the first time the kernel (or seccomp) refuses openat2

 private:
  std::vector<std::unique_ptr<FdEntry>> table_;
};

void close_entry(FdEntry& e);
uint8_t filetype_of_mode(uint32_t st_mode);

}  // namespace wasipool::wasi
