// containerd's config.toml: which of our runtimes it registers, and the textual edit that adds the
// missing ones. toml++ only READS the file; edits are insertions of whole lines into the original bytes,
// so comments, key order and formatting of everything else stay byte-for-byte as they were (a TOML
// re-serialisation would reorder tables and drop comments an operator relies on).
// Pure functions on strings; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/handlers.h"

namespace wasipool::node {

// How one handler appears in the config.
struct HandlerEntry {
  enum class Kind {
    kMissing,          // no table for it
    kRegistered,       // runtime_type is ours
    kNoRuntimeType,    // table exists, runtime_type absent
    kOtherRuntimeType  // someone else's runtime under this handler name
  };
  Kind kind = Kind::kMissing;
  std::string found_runtime_type;  // for kOtherRuntimeType
  int line = 0;                    // 1-based line of the table (0 when missing)
  // For kNoRuntimeType: the line of a `[...runtimes.<h>]` header that defines exactly this table (0 when
  // the table exists only implicitly, through a sub-table header or dotted keys).
  int header_line = 0;
};

struct ConfigAnalysis {
  int version = 0;                // the config version containerd will read it as (1, 2 or 3)
  bool version_explicit = false;  // the file has a top-level `version = N`
  bool empty = false;             // no keys or tables at all (missing file, empty, comments only)
  bool cri_disabled = false;      // disabled_plugins names the CRI plugin: kubelet cannot use any runtime
  std::array<HandlerEntry, kHandlerCount> handlers{};
  // containerd's CRI plugin must find its default runtime (default_runtime_name, "runc" unless set) in
  // `runtimes`. containerd 1.6/1.7 REPLACE the built-in runtimes map with the file's table, so a config
  // that never mentioned runtimes loses the built-in runc as soon as we add ours, and the CRI plugin then
  // refuses to load ("no corresponding runtime configured ... default_runtime_name"). Observed with 1.6.20.
  std::string default_runtime = "runc";
  bool default_runtime_defined = false;
  bool all_registered() const;
};

// The config section holding the CRI runtimes for a config version, as written in a table header:
// 1 -> plugins.cri.containerd.runtimes, 2 -> plugins."io.containerd.grpc.v1.cri".containerd.runtimes,
// 3 -> plugins."io.containerd.cri.v1.runtime".containerd.runtimes.
std::string runtimes_section(int version);

// Parses `text` (named `file` in messages). `version_if_empty` is the version to use when the file sets
// none and has no content (we then write `version = N` ourselves); a non-empty file without `version` is
// version 1, as containerd reads it. Errors (`file:line:col: what`) go to *error.
std::optional<ConfigAnalysis> analyse_config(std::string_view text, std::string_view file, int version_if_empty,
                                             std::string* error);

struct ConfigEdit {
  std::string text;                  // the new file content
  std::vector<std::string> changes;  // one human line per change
};

// The edit registering every handler that `a` reports missing. Only inserts whole lines (each marked,
// see strip_install_lines), never rewrites existing ones. Fails with a clear message (and no edit) when
// a handler name is taken by another runtime_type or cannot be completed textually.
std::optional<ConfigEdit> plan_install(std::string_view text, std::string_view file, const ConfigAnalysis& a,
                                       std::string* error);

// `text` without every line plan_install inserts. Uninstall compares the result with the backup to tell
// whether the config was changed by someone else since install.
std::string strip_install_lines(std::string_view text);

}  // namespace wasipool::node
