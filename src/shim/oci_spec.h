// The parts of an OCI runtime spec (<bundle>/config.json) the shim acts on. Parsing never throws to the
// caller: a bad file gives an error naming the file and the field ("config.json: process.args: ...").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wasipool::shim {

struct OciMount {
  std::string destination, type, source;
  std::vector<std::string> options;
  bool is_bind() const;
  bool read_only() const;
};

struct OciResources {
  std::optional<int64_t> memory_limit;  // bytes; <= 0 / absent = unlimited
  std::optional<uint64_t> cpu_shares;
  std::optional<int64_t> cpu_quota;     // microseconds per period; -1 / absent = unlimited
  std::optional<uint64_t> cpu_period;   // microseconds
  std::optional<int64_t> pids_limit;
};

struct OciSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "K=V"
  std::string cwd = "/";
  bool terminal = false;
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  bool no_new_privileges = false;
  std::string root_path = "rootfs";  // as written; relative to the bundle unless absolute
  bool root_readonly = false;
  std::vector<OciMount> mounts;
  std::map<std::string, std::string> annotations;
  std::string cgroups_path;
  OciResources resources;
  std::string netns_path;  // linux.namespaces[type=network].path, "" when none or a new one

  // Value of NAME in env, or nullopt.
  std::optional<std::string> env_value(const std::string& name) const;
};

// Parses `text` (the content of `file`, used in messages). Returns "" or the error.
std::string parse_oci_spec(const std::string& text, const std::string& file, OciSpec* out);
// Parses linux.resources-shaped JSON (UpdateTaskRequest.resources); `what` prefixes errors.
std::string parse_oci_resources(const std::string& text, const std::string& what, OciResources* out);
// Reads and parses <path>.
std::string load_oci_spec(const std::string& path, OciSpec* out);

}  // namespace wasipool::shim
