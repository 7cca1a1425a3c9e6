// The Spin application model: what a spin.toml (manifest v1 or v2) means, independent of its syntax.
// Built once by load_manifest() (manifest.cpp), then read-only and shared by every server thread.
//
// Paths in the model are absolute (component sources and file mounts are resolved against the
// manifest's directory at load time) so nothing later depends on the process's working directory.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wasipool/result.h"

namespace wasipool::spin {

enum class ExecutorKind { Spin, Wagi };

struct Executor {
  ExecutorKind kind = ExecutorKind::Spin;
  std::string entrypoint = "_start";              // WAGI only
  std::string argv = "${SCRIPT_NAME} ${ARGS}";    // WAGI only
};

// One read-only directory the guest sees (a WASI preopen).
struct Mount {
  std::string host_dir;    // absolute
  std::string guest_path;  // e.g. "/" or "/assets"
};

// A file the manifest maps into the guest: `files = ["static/*.txt"]` gives {abs, "static/a.txt"};
// `{ source = "x.txt", destination = "/y.txt" }` gives {abs, "y.txt"}. These are staged into one
// directory per component that is preopened as "/".
struct StagedFile {
  std::string host_path;
  std::string guest_rel;  // relative to the guest root, no leading '/'
};

// A variable/config value: a template made of literal text and {{ variable }} references.
struct TemplatePart {
  bool is_var = false;
  std::string text;  // literal text, or the variable name
};
using Template = std::vector<TemplatePart>;

struct Variable {
  bool required = false;
  std::optional<std::string> default_value;
  bool secret = false;
};

struct Component {
  std::string id;
  std::string source;  // absolute path of the .wasm
  std::string description;
  std::vector<StagedFile> files;
  std::vector<Mount> dir_mounts;                       // {source = dir, destination = ...}
  std::vector<std::pair<std::string, std::string>> environment;  // manifest order
  std::vector<std::string> allowed_outbound_hosts;     // normalised: "scheme://host[:port]" or "*://*:*"
  std::vector<std::string> key_value_stores;
  std::vector<std::string> sqlite_databases;
  std::map<std::string, Template> config;              // v1 `config` / v2 `variables`
};

struct HttpRoute {
  std::string route;     // as written in the manifest, e.g. "/hello" or "/static/..."
  size_t component = 0;  // index into App::components
  Executor executor;
};

struct App {
  std::string manifest_path;  // absolute
  std::string manifest_dir;   // absolute
  int manifest_version = 1;   // 1 or 2
  std::string name, version, description;
  std::vector<std::string> authors;
  std::string trigger_type = "http";
  std::string base = "/";     // http trigger base
  std::map<std::string, Variable> variables;
  std::vector<Component> components;
  std::vector<HttpRoute> routes;  // declaration order
};

// Parses and checks a manifest. Errors read "FILE:LINE: KEY.PATH: what is wrong".
Result<App, std::string> load_manifest(const std::string& path);

// Resolves a component's config/variable `key` by the Spin rules: SPIN_VARIABLE_<NAME> or
// SPIN_CONFIG_<NAME> from the host environment, else the variable's default. nullopt when the
// component has no such key or a required variable has no value.
std::optional<std::string> resolve_config(const App& app, const Component& c, const std::string& key);

// "http://example.com" -> "http://example.com:80"-style matching: may component `c` reach `url`?
bool outbound_allowed(const Component& c, const std::string& scheme, const std::string& host, uint16_t port);

}  // namespace wasipool::spin
