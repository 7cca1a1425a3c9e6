// config.json parsing (see oci_spec.h). nlohmann::json's exceptions stay inside this file: every
// accessor below checks the type first and reports the JSON path.
#include "shim/oci_spec.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace wasipool::shim {

using nlohmann::json;

namespace {

struct Ctx {
  std::string file;
  std::string error;
  bool fail(const std::string& field, const std::string& why) {
    if (error.empty()) error = file + ": " + field + ": " + why;
    return false;
  }
};

const char* type_name(const json& j) { return j.type_name(); }

bool get_string(Ctx& c, const json& obj, const char* key, const std::string& path, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) return c.fail(path, std::string("expected a string, got ") + type_name(*it));
  *out = it->get<std::string>();
  return true;
}

bool get_string_array(Ctx& c, const json& obj, const char* key, const std::string& path,
                      std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_array()) return c.fail(path, std::string("expected an array of strings, got ") + type_name(*it));
  out->clear();
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    if (!v.is_string())
      return c.fail(path + "[" + std::to_string(i) + "]", std::string("expected a string, got ") + type_name(v));
    out->push_back(v.get<std::string>());
  }
  return true;
}

template <typename T>
bool get_int(Ctx& c, const json& obj, const char* key, const std::string& path, std::optional<T>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_number_integer())
    return c.fail(path, std::string("expected an integer, got ") + type_name(*it));
  if constexpr (std::is_unsigned_v<T>) {
    if (it->is_number_unsigned()) {
      *out = static_cast<T>(it->get<uint64_t>());
    } else {
      int64_t v = it->get<int64_t>();
      if (v < 0) return c.fail(path, "must not be negative");
      *out = static_cast<T>(v);
    }
  } else {
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      *out = INT64_MAX;  // "unlimited" written as a huge number
    else
      *out = static_cast<T>(it->get<int64_t>());
  }
  return true;
}

bool get_object(Ctx& c, const json& obj, const char* key, const std::string& path, const json** out) {
  *out = nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_object()) return c.fail(path, std::string("expected an object, got ") + type_name(*it));
  *out = &*it;
  return true;
}

bool parse_resources(Ctx& c, const json& res, const std::string& path, OciResources* out) {
  const json* mem = nullptr;
  const json* cpu = nullptr;
  const json* pids = nullptr;
  if (!get_object(c, res, "memory", path + ".memory", &mem)) return false;
  if (mem && !get_int(c, *mem, "limit", path + ".memory.limit", &out->memory_limit)) return false;
  if (!get_object(c, res, "cpu", path + ".cpu", &cpu)) return false;
  if (cpu) {
    if (!get_int(c, *cpu, "shares", path + ".cpu.shares", &out->cpu_shares)) return false;
    if (!get_int(c, *cpu, "quota", path + ".cpu.quota", &out->cpu_quota)) return false;
    if (!get_int(c, *cpu, "period", path + ".cpu.period", &out->cpu_period)) return false;
  }
  if (!get_object(c, res, "pids", path + ".pids", &pids)) return false;
  if (pids && !get_int(c, *pids, "limit", path + ".pids.limit", &out->pids_limit)) return false;
  return true;
}

bool parse_process(Ctx& c, const json& proc, OciSpec* out) {
  if (!get_string_array(c, proc, "args", "process.args", &out->args)) return false;
  if (!get_string_array(c, proc, "env", "process.env", &out->env)) return false;
  if (!get_string(c, proc, "cwd", "process.cwd", &out->cwd)) return false;
  if (out->cwd.empty()) out->cwd = "/";
  if (out->cwd[0] != '/') return c.fail("process.cwd", "must be an absolute path, got \"" + out->cwd + "\"");
  if (auto it = proc.find("terminal"); it != proc.end() && !it->is_null()) {
    if (!it->is_boolean()) return c.fail("process.terminal", "expected a boolean");
    out->terminal = it->get<bool>();
  }
  if (auto it = proc.find("noNewPrivileges"); it != proc.end() && !it->is_null()) {
    if (!it->is_boolean()) return c.fail("process.noNewPrivileges", "expected a boolean");
    out->no_new_privileges = it->get<bool>();
  }
  const json* user = nullptr;
  if (!get_object(c, proc, "user", "process.user", &user)) return false;
  if (user) {
    std::optional<uint32_t> uid, gid;
    if (!get_int(c, *user, "uid", "process.user.uid", &uid)) return false;
    if (!get_int(c, *user, "gid", "process.user.gid", &gid)) return false;
    out->uid = uid.value_or(0);
    out->gid = gid.value_or(0);
    if (auto it = user->find("additionalGids"); it != user->end() && !it->is_null()) {
      if (!it->is_array()) return c.fail("process.user.additionalGids", "expected an array of integers");
      for (size_t i = 0; i < it->size(); ++i) {
        const json& g = (*it)[i];
        if (!g.is_number_unsigned())
          return c.fail("process.user.additionalGids[" + std::to_string(i) + "]", "expected a gid");
        out->additional_gids.push_back(g.get<uint32_t>());
      }
    }
  }
  return true;
}

bool parse_mounts(Ctx& c, const json& spec, OciSpec* out) {
  auto it = spec.find("mounts");
  if (it == spec.end() || it->is_null()) return true;
  if (!it->is_array()) return c.fail("mounts", "expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& m = (*it)[i];
    std::string path = "mounts[" + std::to_string(i) + "]";
    if (!m.is_object()) return c.fail(path, "expected an object");
    OciMount om;
    if (!get_string(c, m, "destination", path + ".destination", &om.destination)) return false;
    if (!get_string(c, m, "type", path + ".type", &om.type)) return false;
    if (!get_string(c, m, "source", path + ".source", &om.source)) return false;
    if (!get_string_array(c, m, "options", path + ".options", &om.options)) return false;
    if (om.destination.empty()) return c.fail(path + ".destination", "missing");
    out->mounts.push_back(std::move(om));
  }
  return true;
}

bool parse_linux(Ctx& c, const json& lx, OciSpec* out) {
  if (!get_string(c, lx, "cgroupsPath", "linux.cgroupsPath", &out->cgroups_path)) return false;
  const json* res = nullptr;
  if (!get_object(c, lx, "resources", "linux.resources", &res)) return false;
  if (res && !parse_resources(c, *res, "linux.resources", &out->resources)) return false;
  auto it = lx.find("namespaces");
  if (it != lx.end() && !it->is_null()) {
    if (!it->is_array()) return c.fail("linux.namespaces", "expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& ns = (*it)[i];
      std::string path = "linux.namespaces[" + std::to_string(i) + "]";
      if (!ns.is_object()) return c.fail(path, "expected an object");
      std::string type, nspath;
      if (!get_string(c, ns, "type", path + ".type", &type)) return false;
      if (!get_string(c, ns, "path", path + ".path", &nspath)) return false;
      if (type == "network" && !nspath.empty()) {
        if (nspath[0] != '/') return c.fail(path + ".path", "must be absolute, got \"" + nspath + "\"");
        out->netns_path = nspath;
      }
    }
  }
  return true;
}

bool parse_root(Ctx& c, const json& spec, OciSpec* out) {
  const json* root = nullptr;
  if (!get_object(c, spec, "root", "root", &root)) return false;
  if (!root) return true;
  if (!get_string(c, *root, "path", "root.path", &out->root_path)) return false;
  if (out->root_path.empty()) return c.fail("root.path", "empty");
  if (auto it = root->find("readonly"); it != root->end() && !it->is_null()) {
    if (!it->is_boolean()) return c.fail("root.readonly", "expected a boolean");
    out->root_readonly = it->get<bool>();
  }
  return true;
}

}  // namespace

bool OciMount::is_bind() const {
  if (type == "bind" || type == "rbind") return true;
  for (const auto& o : options)
    if (o == "bind" || o == "rbind") return true;
  return false;
}

bool OciMount::read_only() const {
  bool ro = false;
  for (const auto& o : options) {
    if (o == "ro") ro = true;
    if (o == "rw") ro = false;
  }
  return ro;
}

std::optional<std::string> OciSpec::env_value(const std::string& name) const {
  std::optional<std::string> v;
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      v = e.substr(name.size() + 1);  // the last one wins, as in execve's environment
  return v;
}

std::string parse_oci_spec(const std::string& text, const std::string& file, OciSpec* out) {
  Ctx c{file, ""};
  json spec = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded()) return file + ": not valid JSON";
  if (!spec.is_object()) return file + ": expected a JSON object at the top level";
  const json* proc = nullptr;
  if (!get_object(c, spec, "process", "process", &proc)) return c.error;
  if (!proc) return file + ": process: missing";
  if (!parse_process(c, *proc, out)) return c.error;
  if (out->args.empty()) return file + ": process.args: empty (nothing to run)";
  if (!parse_root(c, spec, out) || !parse_mounts(c, spec, out)) return c.error;
  if (auto it = spec.find("annotations"); it != spec.end() && !it->is_null()) {
    if (!it->is_object()) return file + ": annotations: expected an object";
    for (auto a = it->begin(); a != it->end(); ++a) {
      if (!a.value().is_string()) return file + ": annotations." + a.key() + ": expected a string";
      out->annotations[a.key()] = a.value().get<std::string>();
    }
  }
  const json* lx = nullptr;
  if (!get_object(c, spec, "linux", "linux", &lx)) return c.error;
  if (lx && !parse_linux(c, *lx, out)) return c.error;
  return "";
}

std::string parse_oci_resources(const std::string& text, const std::string& what, OciResources* out) {
  Ctx c{what, ""};
  json res = json::parse(text, nullptr, false);
  if (res.is_discarded()) return what + ": not valid JSON";
  if (!res.is_object()) return what + ": expected a JSON object";
  if (!parse_resources(c, res, "resources", out)) return c.error;
  return "";
}

std::string load_oci_spec(const std::string& path, OciSpec* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot open";
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_oci_spec(ss.str(), path, out);
}

}  // namespace wasipool::shim
