// Go `flag` semantics, see flags.h. Kept strict on purpose: containerd always sends well-formed flags, so
// anything else is a caller mistake that deserves usage + exit 2 rather than a guess.
#include "shim/flags.h"

#include <cstring>

namespace wasipool::shim {
namespace {

enum class Kind { kString, kBool };
struct FlagDef {
  const char* name;
  Kind kind;
  const char* help;
};

constexpr FlagDef kFlags[] = {
    {"namespace", Kind::kString, "namespace that owns the shim"},
    {"address", Kind::kString, "grpc address back to main containerd"},
    {"publish-binary", Kind::kString, "path to publish binary (used for publishing events)"},
    {"id", Kind::kString, "id of the task"},
    {"bundle", Kind::kString, "path to the bundle if not workdir"},
    {"socket", Kind::kString, "socket path to serve (default: the listener inherited on fd 3)"},
    {"debug", Kind::kBool, "enable debug output in logs"},
    {"v", Kind::kBool, "show the shim version and exit"},
    {"h", Kind::kBool, "show this help"},
    {"help", Kind::kBool, "show this help"},
};

const FlagDef* find_flag(const std::string& name) {
  for (const auto& f : kFlags)
    if (name == f.name) return &f;
  return nullptr;
}

// strconv.ParseBool's accepted spellings.
bool parse_go_bool(const std::string& s, bool* out) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (s == t) return *out = true, true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (s == f) return *out = false, true;
  return false;
}

void assign(ShimFlags* out, const std::string& name, const std::string& value) {
  if (name == "namespace") out->namespace_ = value;
  else if (name == "address") out->address = value;
  else if (name == "publish-binary") out->publish_binary = value;
  else if (name == "id") out->id = value;
  else if (name == "bundle") out->bundle = value;
  else if (name == "socket") out->socket = value;
}

void assign_bool(ShimFlags* out, const std::string& name, bool value) {
  if (name == "debug") out->debug = value;
  else if (name == "v") out->version = value;
  else out->help = value;
}

}  // namespace

bool parse_shim_flags(int argc, char** argv, ShimFlags* out, std::string* error) {
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    // Go: a lone "-" or anything not starting with '-' ends the flags; "--" ends them and is consumed.
    if (arg.size() < 2 || arg[0] != '-') break;
    if (arg == "--") {
      ++i;
      break;
    }
    size_t dashes = arg[1] == '-' ? 2 : 1;
    std::string body = arg.substr(dashes);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      *error = "bad flag syntax: " + arg;
      return false;
    }
    std::string name = body, value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    const FlagDef* def = find_flag(name);
    if (!def) {
      *error = "flag provided but not defined: -" + name;
      return false;
    }
    if (def->kind == Kind::kBool) {
      bool b = true;
      if (has_value && !parse_go_bool(value, &b)) {
        *error = "invalid boolean value \"" + value + "\" for -" + name + ": parse error";
        return false;
      }
      assign_bool(out, name, b);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "flag needs an argument: -" + name;
        return false;
      }
      value = argv[++i];
    }
    assign(out, name, value);
  }
  if (i < argc) out->action = argv[i++];
  for (; i < argc; ++i) out->rest.emplace_back(argv[i]);
  return true;
}

std::string shim_usage(const char* program) {
  std::string s = "Usage of ";
  s += program;
  s += ":\n";
  for (const auto& f : kFlags) {
    if (!std::strcmp(f.name, "h") || !std::strcmp(f.name, "help")) continue;
    s += "  -";
    s += f.name;
    if (f.kind == Kind::kString) s += " string";
    s += "\n    \t";
    s += f.help;
    s += "\n";
  }
  s += "actions: start | delete (no action: run as the shim daemon)\n";
  return s;
}

}  // namespace wasipool::shim
