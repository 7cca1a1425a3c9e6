// The shim binary contract (containerd-shim-v2.md §2): one binary, three names; Go-style flags; the
// actions `start` (daemonise, print the address) and `delete` (clean up, print a DeleteResponse); no
// action = the daemon that start re-executes. -v prints the version.
#include "shim/shim_main.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shim/container.h"
#include "shim/daemon.h"
#include "shim/flags.h"
#include "task.pb.h"

#ifndef WASIPOOL_VERSION
#define WASIPOOL_VERSION "unknown"
#endif

namespace wasipool::shim {

const char* base_name(const char* path) {
  const char* s = std::strrchr(path, '/');
  return s ? s + 1 : path;
}

namespace {

// The `delete` action: containerd runs it after every disconnect and after a crash, then removes the
// bundle. It must be idempotent and must not fail on a bundle that is already clean; problems are
// warnings on stderr (containerd logs them as "cleanup warnings"), stdout carries only the protobuf.
int run_delete(const ShimFlags& flags) {
  std::string bundle = flags.bundle;
  if (bundle.empty()) {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) bundle = cwd;
  }
  std::string ns = flags.namespace_;
  if (ns.empty()) {
    const char* e = std::getenv("NAMESPACE");
    if (e) ns = e;
  }
  uint32_t pid = 0;
  ExitInfo exit;
  ttrpc::Status st = Container::cleanup_bundle(ns, flags.id, bundle, &pid, &exit);
  if (!st.ok()) std::fprintf(stderr, "cleanup of %s (%s): %s\n", flags.id.c_str(), bundle.c_str(), st.message.c_str());
  if (exit.exited_at_sec == 0 && exit.exited_at_nsec == 0) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    exit.exited_at_sec = ts.tv_sec;
    exit.exited_at_nsec = static_cast<int32_t>(ts.tv_nsec);
  }
  containerd::task::v2::DeleteResponse resp;
  resp.set_pid(pid);
  resp.set_exit_status(exit.exit_status);
  resp.mutable_exited_at()->set_seconds(exit.exited_at_sec);
  resp.mutable_exited_at()->set_nanos(exit.exited_at_nsec);
  std::string out;
  resp.SerializeToString(&out);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "write DeleteResponse: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace

bool flavour_from_binary_name(const char* name, Flavour* out) {
  if (!std::strcmp(name, "containerd-shim-spin-v1")) return *out = Flavour::kSpin, true;
  if (!std::strcmp(name, "containerd-shim-slight-v1")) return *out = Flavour::kSlight, true;
  if (!std::strcmp(name, "containerd-shim-wasm-v1")) return *out = Flavour::kWasm, true;
  return false;
}

int shim_main(Flavour flavour, int argc, char** argv) {
  const char* program = argc > 0 ? argv[0] : "containerd-shim-wasm-v1";
  ShimFlags flags;
  std::string error;
  if (!parse_shim_flags(argc, argv, &flags, &error)) {
    // As Go's flag.ExitOnError: the error, the usage, exit 2.
    std::fprintf(stderr, "%s\n%s", error.c_str(), shim_usage(base_name(program)).c_str());
    return 2;
  }
  if (flags.help) {
    std::fputs(shim_usage(base_name(program)).c_str(), stderr);
    return 0;
  }
  if (flags.version) {
    std::printf("%s:\n  Version:  %s\n  Runtime:  wasipool\n", base_name(program), WASIPOOL_VERSION);
    return 0;
  }
  if (flags.action == "start") return run_start(flags, program);
  if (flags.action == "delete") return run_delete(flags);
  if (flags.action.empty()) return run_daemon(flavour, flags);
  std::fprintf(stderr, "%s: unknown action \"%s\" (expected start or delete)\n%s", base_name(program),
               flags.action.c_str(), shim_usage(base_name(program)).c_str());
  return 2;
}

}  // namespace wasipool::shim
