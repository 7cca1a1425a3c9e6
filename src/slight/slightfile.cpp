// slightfile.toml parser (see slightfile.h). The only file of src/slight that includes toml++.
#include "slightfile.h"

#include <cstdio>
#include <filesystem>
#include <set>

#include "spin/toml_reader.h"

namespace wasipool::slight {

namespace {

namespace fs = std::filesystem;
using spin::TomlError;
using spin::TomlReader;

void read_capability(const TomlReader& r, const toml::node& n, const std::string& path, SlightFile& f) {
  const toml::table& t = r.table(n, path);
  Capability c;
  c.line = n.source().begin.line;
  if (f.specversion == "0.1") {
    // 0.1: the resource is named by `name`; `resource` is the 0.2 spelling and mixing them is an error.
    if (auto* res = t.get("resource"))
      r.error(res, TomlReader::join(path, "resource"),
              "this file is specversion 0.1, but the capability uses the 0.2 format (resource + name); "
              "use `name = \"<resource>\"` or specversion = \"0.2\"");
    r.only(t, path, {"name", "configs"});
    c.resource = r.req_string(t, path, "name");
    c.name = c.resource;
  } else {
    if (!t.get("resource") && t.get("name"))
      r.error(&n, TomlReader::join(path, "resource"),
              "missing required field (this file is specversion 0.2; a 0.1-style capability names only the "
              "resource in `name`)");
    r.only(t, path, {"resource", "name", "configs"});
    c.resource = r.req_string(t, path, "resource");
    c.name = r.req_string(t, path, "name");
  }
  if (c.resource.empty()) r.error(&n, path, "empty resource name");
  if (c.name.empty()) r.error(&n, TomlReader::join(path, "name"), "empty name");
  c.configs = r.string_map(t, path, "configs");
  f.capabilities.push_back(std::move(c));
}

}  // namespace

std::string capability_kind(const std::string& resource) {
  std::string head = resource.substr(0, resource.find('.'));
  if (head == "kv") return "keyvalue";
  if (head == "mq" || head == "pubsub") return "messaging";
  if (head == "lockd") return "distributed_locking";
  return head;
}

std::string printable(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (out.size() >= 100) return out + "...";
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string where(const SlightFile& f, uint32_t line) {
  return line ? f.path + ":" + std::to_string(line) : f.path;
}

Result<SlightFile, std::string> load_slightfile(const std::string& path) {
  SlightFile f;
  f.path = path;
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) return fail(path + ": " + ec.message());
  f.dir = abs.parent_path().lexically_normal().string();
  if (!fs::is_regular_file(abs, ec)) return fail(path + ": no such file");
  TomlReader r(path);
  try {
    toml::table root = r.parse();
    r.only(root, "", {"specversion", "secret_store", "secret_settings", "capability"});
    auto* sv = root.get("specversion");
    if (!sv) r.error_line(1, "specversion", "missing required field (\"0.1\" or \"0.2\")");
    f.specversion = r.string(*sv, "specversion");
    if (f.specversion != "0.1" && f.specversion != "0.2")
      r.error(sv, "specversion", "unsupported specversion '" + printable(f.specversion) + "' (expected \"0.1\" or \"0.2\")");
    if (auto* ss = root.get("secret_store")) {
      f.secret_store = r.string(*ss, "secret_store");
      f.secret_store_line = ss->source().begin.line;
      static const std::set<std::string> kStores = {"configs.envvars", "configs.azapp", "configs.usersecrets",
                                                    "configs.local"};
      if (!kStores.count(*f.secret_store))
        r.error(ss, "secret_store",
                "unknown secret store '" + printable(*f.secret_store) +
                    "' (expected configs.envvars, configs.azapp, configs.usersecrets or configs.local)");
    }
    if (auto* s = root.get("secret_settings")) {
      const auto& a = r.array(*s, "secret_settings");
      for (size_t i = 0; i < a.size(); ++i) {
        std::string p = "secret_settings[" + std::to_string(i) + "]";
        const auto& t = r.table(*a.get(i), p);
        r.only(t, p, {"name", "value"});
        f.secret_settings.emplace_back(r.req_string(t, p, "name"), r.req_string(t, p, "value"));
      }
    }
    if (auto* caps = root.get("capability")) {
      const auto& a = r.array(*caps, "capability");
      for (size_t i = 0; i < a.size(); ++i) read_capability(r, *a.get(i), "capability[" + std::to_string(i) + "]", f);
    }
    // One namespace per interface family: a guest opens a capability by name, so two of one kind with
    // the same name (or "*" beside any other) would make open() ambiguous.
    std::map<std::string, std::map<std::string, uint32_t>> names;  // kind -> name -> line
    for (const auto& c : f.capabilities) {
      auto& seen = names[capability_kind(c.resource)];
      std::string clash;
      if (seen.count(c.name)) clash = "the name '" + printable(c.name) + "' is already used";
      else if (seen.count("*")) clash = "a capability of this kind named \"*\" already takes every name";
      else if (c.name == "*" && !seen.empty()) clash = "\"*\" takes every name, but '" + printable(seen.begin()->first) + "' is already defined";
      if (!clash.empty())
        r.error_line(c.line, "capability",
                     clash + " for " + printable(capability_kind(c.resource)) + " capabilities (line " +
                         std::to_string(seen.count(c.name) ? seen[c.name] : seen.begin()->second) + ")");
      seen[c.name] = c.line;
    }
  } catch (const toml::parse_error& e) {
    return fail(spin::describe_parse_error(path, e));
  } catch (const TomlError& e) {
    return fail(e.message);
  }
  return f;
}

}  // namespace wasipool::slight
