// slightfile.toml (SpiderLightning's app manifest, specversion "0.1" and "0.2") -> SlightFile.
// Parsed once at start-up, then read-only and shared by every thread.
//
//   specversion = "0.2"
//   secret_store = "configs.envvars"                 # optional
//   [[secret_settings]] name = "..." value = "..."   # optional
//   [[capability]]
//   resource = "keyvalue.filesystem"                 # 0.2; in 0.1 the resource is `name`
//   name = "my-container"                            # 0.2: the label the guest opens, or "*"
//       [capability.configs]
//       KEY = "literal" | "${envvars.NAME}"
//
// Whether a resource is *supported* is decided by the host at load time (slight_host.cpp), so the
// parser accepts any resource string; what it rejects (with "FILE:LINE: key: reason") is malformed
// TOML, a missing or unknown specversion, wrong types, unknown keys, a 0.2-style capability in a 0.1
// file (and the reverse), and two capabilities of one kind sharing a name (or "*" beside another).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wasipool/result.h"

namespace wasipool::slight {

struct Capability {
  std::string resource;  // e.g. "keyvalue.filesystem", "kv.redis", "http", "configs.envvars"
  std::string name;      // 0.2: the label ("*" = any); 0.1: equal to resource
  std::map<std::string, std::string> configs;
  uint32_t line = 0;     // where the [[capability]] table starts, for load-time errors
};

struct SlightFile {
  std::string path;  // as given
  std::string dir;   // absolute directory of the file: relative paths resolve against it
  std::string specversion;  // "0.1" or "0.2"
  std::optional<std::string> secret_store;
  uint32_t secret_store_line = 0;
  std::vector<std::pair<std::string, std::string>> secret_settings;
  std::vector<Capability> capabilities;
};

// Error: "FILE:LINE: key: reason" (or "FILE: reason" when no line applies).
Result<SlightFile, std::string> load_slightfile(const std::string& path);

// The interface family a resource belongs to: "keyvalue" for keyvalue.* and kv.*, "messaging" for
// messaging.* and mq.*, "distributed_locking" for lockd.*, else the part before the first '.'.
std::string capability_kind(const std::string& resource);

// A value from the file as it may appear in a one-line message: control and non-ASCII bytes as \xNN,
// cut after 100 characters.
std::string printable(const std::string& value);

// "FILE:LINE" of a capability, for messages.
std::string where(const SlightFile& f, uint32_t line);

}  // namespace wasipool::slight
