// The shim's command line, parsed as Go's `flag` package does (containerd and its shim library are Go):
// "-flag value", "--flag value", "-flag=value", "--flag=value"; bool flags as "-debug" or "-debug=true";
// parsing stops at the first non-flag argument (the action) or at "--".
// Threading: plain data, parsed once on the main thread.
#pragma once

#include <string>
#include <vector>

namespace wasipool::shim {

struct ShimFlags {
  std::string namespace_;      // -namespace: containerd namespace
  std::string address;         // -address: containerd's gRPC socket path
  std::string publish_binary;  // -publish-binary: containerd executable (alternative event transport)
  std::string id;              // -id: the container (task) id
  std::string bundle;          // -bundle: bundle directory (delete); default: cwd
  std::string socket;          // -socket: the daemon's listen path (else fd 3 is the listener)
  bool debug = false;          // -debug
  bool version = false;        // -v
  bool help = false;           // -h / -help
  std::string action;          // first positional: "start", "delete", or "" (the daemon)
  std::vector<std::string> rest;  // positionals after the action (ignored)
};

// Parses argv[1..argc). On error returns false and sets *error to Go's wording
// ("flag provided but not defined: -x", "flag needs an argument: -id", "invalid boolean value ...").
bool parse_shim_flags(int argc, char** argv, ShimFlags* out, std::string* error);

// Go-style usage text (what `flag.PrintDefaults` shows), for stderr.
std::string shim_usage(const char* program);

}  // namespace wasipool::shim
