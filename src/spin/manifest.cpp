// spin.toml (manifest v1, its older `spin_version` spelling, and v2) -> spin::App.
// Like Spin (serde deny_unknown_fields), an unknown key or a wrong type is an error naming the file,
// the line and the key path, so a typo never silently drops a route, a mount or an allow-list.
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <set>
#include "app.h"
#include "toml_reader.h"

namespace wasipool::spin {

namespace {

namespace fs = std::filesystem;

// The first problem found unwinds the whole parse (TomlError) and is turned into a Result at
// load_manifest's boundary (the manifest is operator input, not a guest-facing path).
using Reader = TomlReader;
using ManifestError = TomlError;

bool is_kebab(const std::string& s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return s.find("--") == std::string::npos;
}
bool is_snake(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// "{{ name }}" references inside literal text; a lone "{{" without "}}" is an error.
std::optional<Template> parse_template(const std::string& s, std::string& why) {
  Template t;
  size_t i = 0;
  while (i < s.size()) {
    size_t open = s.find("{{", i);
    if (open == std::string::npos) {
      t.push_back({false, s.substr(i)});
      break;
    }
    if (open > i) t.push_back({false, s.substr(i, open - i)});
    size_t close = s.find("}}", open + 2);
    if (close == std::string::npos) {
      why = "unterminated '{{' in template";
      return std::nullopt;
    }
    std::string name = s.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!is_snake(name)) {
      why = "invalid variable reference '{{" + s.substr(open + 2, close - open - 2) + "}}'";
      return std::nullopt;
    }
    t.push_back({true, name});
    i = close + 2;
  }
  return t;
}

std::string absolute_in(const std::string& dir, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute()) return path.lexically_normal().string();
  return (fs::path(dir) / path).lexically_normal().string();
}

// Expands one `files` glob relative to the manifest directory. "**" crosses directories.
void expand_glob(const Reader& r, const toml::node& n, const std::string& path, const std::string& dir,
                 const std::string& pattern, std::vector<StagedFile>& out) {
  if (pattern.empty() || pattern[0] == '/')
    r.error(&n, path, "file patterns must be relative to the manifest directory");
  if (pattern.find("**") != std::string::npos) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      std::string rel = fs::relative(it->path(), dir).string();
      if (::fnmatch(pattern.c_str(), rel.c_str(), 0) == 0) out.push_back({it->path().string(), rel});
    }
    return;
  }
  glob_t g{};
  std::string full = dir + "/" + pattern;
  int rc = ::glob(full.c_str(), 0, nullptr, &g);
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st {};
      if (::stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
      out.push_back({g.gl_pathv[i], fs::path(g.gl_pathv[i]).lexically_relative(dir).string()});
    }
  }
  ::globfree(&g);
}

// A guest path must stay inside the guest root: ".." would let a manifest map a file "above" it.
std::string guest_relative(const Reader& r, const toml::node& n, const std::string& path, const std::string& dest) {
  fs::path p = fs::path(dest).lexically_normal();
  std::string s = p.string();
  while (!s.empty() && s[0] == '/') s.erase(s.begin());
  if (s.rfind("..", 0) == 0) r.error(&n, path, "destination '" + dest + "' leaves the guest root");
  return s;
}

void read_files(const Reader& r, const toml::table& t, const std::string& path, const std::string& dir,
                Component& c) {
  auto* n = t.get("files");
  if (!n) return;
  const std::string fpath = Reader::join(path, "files");
  const auto& a = r.array(*n, fpath);
  for (size_t i = 0; i < a.size(); ++i) {
    const toml::node& e = *a.get(i);
    std::string ep = fpath + "[" + std::to_string(i) + "]";
    if (auto* s = e.as_string()) {
      expand_glob(r, e, ep, dir, s->get(), c.files);
      continue;
    }
    if (!e.as_table()) r.error(&e, ep, "expected a glob string or { source, destination }");
    const auto& ft = *e.as_table();
    r.only(ft, ep, {"source", "destination"});
    std::string src = absolute_in(dir, r.req_string(ft, ep, "source"));
    std::string dest = r.req_string(ft, ep, "destination");
    if (dest.empty() || dest[0] != '/') r.error(&e, ep + ".destination", "must be an absolute guest path");
    struct stat st {};
    if (::stat(src.c_str(), &st) != 0) r.error(&e, ep + ".source", "'" + src + "' does not exist");
    if (S_ISDIR(st.st_mode)) {
      c.dir_mounts.push_back({src, fs::path(dest).lexically_normal().string()});
    } else {
      c.files.push_back({src, guest_relative(r, e, ep + ".destination", dest)});
    }
  }
}

// allowed_http_hosts (v1 style: "host[:port]", "insecure:allow-all", "self") become outbound-host
// patterns "scheme://host:port" so there is one allow-list check.
void add_http_hosts(const Reader& r, const toml::table& t, const std::string& path, Component& c) {
  for (const auto& h : r.strings(t, path, "allowed_http_hosts")) {
    if (h == "insecure:allow-all") {
      c.allowed_outbound_hosts.push_back("*://*:*");
    } else if (h == "self") {
      c.allowed_outbound_hosts.push_back("http://self");
    } else if (h.find("://") != std::string::npos) {
      c.allowed_outbound_hosts.push_back(h);
    } else {
      c.allowed_outbound_hosts.push_back("http://" + h);
      c.allowed_outbound_hosts.push_back("https://" + h);
    }
  }
}

void read_component_common(const Reader& r, const toml::table& t, const std::string& path, const App& app,
                           Component& c, std::string_view config_key) {
  auto* src = t.get("source");
  if (!src) r.error(&t, Reader::join(path, "source"), "missing required field");
  if (auto* s = src->as_string()) {
    c.source = absolute_in(app.manifest_dir, s->get());
  } else if (src->as_table()) {
    // Remote sources ({ url, digest } or registry packages) would need network access at load time.
    r.error(src, Reader::join(path, "source"), "only local file sources are supported");
  } else {
    r.error(src, Reader::join(path, "source"), "expected a string");
  }
  if (auto d = r.opt_string(t, path, "description")) c.description = *d;
  read_files(r, t, path, app.manifest_dir, c);
  // exclude_files removes glob-matched files from what `files` staged (paths relative to the manifest).
  for (const auto& pattern : r.strings(t, path, "exclude_files")) {
    std::erase_if(c.files, [&](const StagedFile& f) {
      std::string rel = fs::path(f.host_path).lexically_relative(app.manifest_dir).string();
      return ::fnmatch(pattern.c_str(), rel.c_str(), 0) == 0;
    });
  }
  c.environment.clear();
  r.string_map(t, path, "environment", &c.environment);
  add_http_hosts(r, t, path, c);
  for (auto& h : r.strings(t, path, "allowed_outbound_hosts")) {
    while (!h.empty() && h.back() == '/') h.pop_back();  // spin#2545: a trailing '/' is harmless
    if (h.find("://") == std::string::npos)
      r.error(t.get("allowed_outbound_hosts"), Reader::join(path, "allowed_outbound_hosts"),
              "'" + h + "' must be scheme://host[:port]");
    c.allowed_outbound_hosts.push_back(h);
  }
  c.key_value_stores = r.strings(t, path, "key_value_stores");
  c.sqlite_databases = r.strings(t, path, "sqlite_databases");
  r.strings(t, path, "ai_models");
  for (auto& [k, v] : r.string_map(t, path, config_key)) {
    std::string why;
    auto tpl = parse_template(v, why);
    const toml::node* n = t.get(config_key)->as_table()->get(k);
    std::string kp = Reader::join(Reader::join(path, config_key), k);
    if (!tpl) r.error(n, kp, why);
    for (auto& part : *tpl)
      if (part.is_var && !app.variables.count(part.text))
        r.error(n, kp, "references undefined variable '" + part.text + "'");
    c.config[k] = std::move(*tpl);
  }
  if (auto* b = t.get("build")) {
    const auto& bt = r.table(*b, Reader::join(path, "build"));
    r.only(bt, Reader::join(path, "build"), {"command", "workdir", "watch"});
  }
}

Executor read_executor(const Reader& r, const toml::node& n, const std::string& path) {
  const auto& t = r.table(n, path);
  Executor e;
  std::string type = r.req_string(t, path, "type");
  if (type == "spin" || type == "http") {
    r.only(t, path, {"type"});
    e.kind = ExecutorKind::Spin;
  } else if (type == "wagi") {
    r.only(t, path, {"type", "entrypoint", "argv"});
    e.kind = ExecutorKind::Wagi;
    if (auto s = r.opt_string(t, path, "entrypoint")) e.entrypoint = *s;
    if (auto s = r.opt_string(t, path, "argv")) e.argv = *s;
  } else {
    r.error(t.get("type"), Reader::join(path, "type"), "unknown executor type '" + type + "' (spin, http or wagi)");
  }
  return e;
}

std::string check_route(const Reader& r, const toml::node* n, const std::string& path, std::string route) {
  if (route.empty()) r.error(n, path, "route must not be empty");
  if (route[0] != '/') route = "/" + route;
  return route;
}

void read_variables(const Reader& r, const toml::table& root, App& app) {
  auto* n = root.get("variables");
  if (!n) return;
  const auto& vt = r.table(*n, "variables");
  for (auto&& [k, v] : vt) {
    std::string name(k.str());
    std::string vp = "variables." + name;
    if (!is_snake(name)) r.error_line(k.source().begin.line, vp, "variable names must be lower_snake_case");
    const auto& t = r.table(v, vp);
    r.only(t, vp, {"required", "default", "secret"});
    Variable var;
    if (auto* b = t.get("required")) var.required = r.boolean(*b, vp + ".required");
    if (auto* b = t.get("secret")) var.secret = r.boolean(*b, vp + ".secret");
    var.default_value = r.opt_string(t, vp, "default");
    if (var.required && var.default_value) r.error(&t, vp, "a required variable cannot have a default");
    if (!var.required && !var.default_value) r.error(&t, vp, "a variable must be required or have a default");
    app.variables[name] = var;
  }
}

void read_v1(const Reader& r, const toml::table& root, App& app) {
  r.only(root, "", {"spin_manifest_version", "spin_version", "name", "version", "description", "authors", "trigger",
                    "variables", "component"});
  app.manifest_version = 1;
  app.name = r.req_string(root, "", "name");
  if (auto s = r.opt_string(root, "", "version")) app.version = *s;
  if (auto s = r.opt_string(root, "", "description")) app.description = *s;
  app.authors = r.strings(root, "", "authors");
  auto* tn = root.get("trigger");
  if (!tn) r.error(&root, "trigger", "missing required field");
  const auto& trig = r.table(*tn, "trigger");
  app.trigger_type = r.req_string(trig, "trigger", "type");
  if (app.trigger_type == "http") {
    r.only(trig, "trigger", {"type", "base"});
    if (auto b = r.opt_string(trig, "trigger", "base")) app.base = *b;
  } else if (app.trigger_type == "redis") {
    r.only(trig, "trigger", {"type", "address"});
  } else {
    r.error(trig.get("type"), "trigger.type", "unknown trigger type '" + app.trigger_type + "'");
  }
  read_variables(r, root, app);
  auto* cn = root.get("component");
  if (!cn) return;
  const auto& comps = r.array(*cn, "component");
  std::set<std::string> ids;
  for (size_t i = 0; i < comps.size(); ++i) {
    std::string cp = "component[" + std::to_string(i) + "]";
    const auto& t = r.table(*comps.get(i), cp);
    r.only(t, cp, {"id", "source", "description", "files", "exclude_files", "environment", "allowed_http_hosts",
                   "allowed_outbound_hosts", "key_value_stores", "sqlite_databases", "ai_models", "config", "build",
                   "trigger"});
    Component c;
    c.id = r.req_string(t, cp, "id");
    if (!ids.insert(c.id).second) r.error(t.get("id"), cp + ".id", "duplicate component id '" + c.id + "'");
    cp = "component." + c.id;
    read_component_common(r, t, cp, app, c, "config");
    auto* trn = t.get("trigger");
    if (!trn) r.error(&t, cp + ".trigger", "missing required field");
    const auto& ct = r.table(*trn, cp + ".trigger");
    if (app.trigger_type == "http") {
      r.only(ct, cp + ".trigger", {"route", "executor"});
      HttpRoute route;
      route.route = check_route(r, ct.get("route"), cp + ".trigger.route", r.req_string(ct, cp + ".trigger", "route"));
      if (auto* e = ct.get("executor")) route.executor = read_executor(r, *e, cp + ".trigger.executor");
      route.component = app.components.size();
      app.routes.push_back(route);
    } else {
      r.only(ct, cp + ".trigger", {"channel"});
    }
    app.components.push_back(std::move(c));
  }
}

const std::initializer_list<std::string_view> kV2ComponentKeys = {
    "source", "description", "variables", "environment", "files", "exclude_files", "allowed_outbound_hosts",
    "allowed_http_hosts", "key_value_stores", "sqlite_databases", "ai_models", "build", "tool",
    "dependencies_inherit_configuration", "dependencies"};

size_t add_v2_component(const Reader& r, const toml::table& t, const std::string& id, const std::string& path,
                        App& app) {
  r.only(t, path, kV2ComponentKeys);
  if (t.get("dependencies")) r.error(t.get("dependencies"), path + ".dependencies", "component dependencies are not supported");
  Component c;
  c.id = id;
  read_component_common(r, t, path, app, c, "variables");
  app.components.push_back(std::move(c));
  return app.components.size() - 1;
}

void read_v2(const Reader& r, const toml::table& root, App& app) {
  r.only(root, "", {"spin_manifest_version", "application", "variables", "trigger", "component"});
  app.manifest_version = 2;
  auto* an = root.get("application");
  if (!an) r.error(&root, "application", "missing required field");
  const auto& at = r.table(*an, "application");
  r.only(at, "application", {"name", "version", "description", "authors", "trigger", "tool"});
  app.name = r.req_string(at, "application", "name");
  if (auto s = r.opt_string(at, "application", "version")) app.version = *s;
  if (auto s = r.opt_string(at, "application", "description")) app.description = *s;
  app.authors = r.strings(at, "application", "authors");
  if (auto* gt = at.get("trigger")) {
    const auto& gtt = r.table(*gt, "application.trigger");
    for (auto&& [k, v] : gtt) {
      std::string p = "application.trigger." + std::string(k.str());
      const auto& tt = r.table(v, p);
      if (k.str() == "http") {
        r.only(tt, p, {"base"});
        if (auto b = r.opt_string(tt, p, "base")) app.base = *b;
      } else if (k.str() == "redis") {
        r.only(tt, p, {"address"});
      }
    }
  }
  read_variables(r, root, app);

  // Named components first, so triggers can refer to them in any order.
  std::map<std::string, size_t> by_id;
  if (auto* cn = root.get("component")) {
    const auto& ct = r.table(*cn, "component");
    for (auto&& [k, v] : ct) {
      std::string id(k.str());
      std::string p = "component." + id;
      if (!is_kebab(id)) r.error_line(k.source().begin.line, p, "component ids must be kebab-case");
      by_id[id] = add_v2_component(r, r.table(v, p), id, p, app);
    }
  }
  auto* tn = root.get("trigger");
  if (!tn) return;
  const auto& triggers = r.table(*tn, "trigger");
  for (auto&& [type, list] : triggers) {
    std::string tp = "trigger." + std::string(type.str());
    const auto& arr = r.array(list, tp);
    for (size_t i = 0; i < arr.size(); ++i) {
      std::string ep = tp + "[" + std::to_string(i) + "]";
      const auto& t = r.table(*arr.get(i), ep);
      if (type.str() != "http") {
        r.only(t, ep, {"id", "channel", "component", "address", "components"});
        continue;  // only the http trigger is served; other trigger types are parsed and ignored
      }
      r.only(t, ep, {"id", "route", "component", "executor", "components"});
      auto* rn = t.get("route");
      if (!rn) r.error(&t, ep + ".route", "missing required field");
      if (auto* rt = rn->as_table()) {
        r.only(*rt, ep + ".route", {"private"});
        continue;  // private routes are reachable only by service chaining, never from the listener
      }
      HttpRoute route;
      route.route = check_route(r, rn, ep + ".route", r.string(*rn, ep + ".route"));
      auto* cn = t.get("component");
      if (!cn) r.error(&t, ep + ".component", "missing required field");
      if (auto* s = cn->as_string()) {
        auto it = by_id.find(s->get());
        if (it == by_id.end()) r.error(cn, ep + ".component", "no component named '" + s->get() + "'");
        route.component = it->second;
      } else if (auto* inl = cn->as_table()) {
        std::string id = "inline-component-" + std::to_string(app.components.size());
        route.component = add_v2_component(r, *inl, id, ep + ".component", app);
      } else {
        r.error(cn, ep + ".component", "expected a component id or an inline component table");
      }
      if (auto* e = t.get("executor")) route.executor = read_executor(r, *e, ep + ".executor");
      app.routes.push_back(route);
    }
  }
}

}  // namespace

Result<App, std::string> load_manifest(const std::string& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) return fail(path + ": " + ec.message());
  App app;
  app.manifest_path = abs.lexically_normal().string();
  app.manifest_dir = abs.parent_path().lexically_normal().string();
  Reader r(path);
  try {
    toml::table root = r.parse();
    auto* v2 = root.get("spin_manifest_version");
    auto* v1 = root.get("spin_version");
    if (v2 && v2->as_integer()) {
      if (v2->as_integer()->get() != 2) r.error(v2, "spin_manifest_version", "unsupported manifest version");
      read_v2(r, root, app);
    } else if (v2 || v1) {
      const toml::node* vn = v2 ? v2 : v1;
      std::string key = v2 ? "spin_manifest_version" : "spin_version";
      if (v2 && v1) r.error(v1, "spin_version", "give either spin_manifest_version or spin_version, not both");
      if (r.string(*vn, key) != "1") r.error(vn, key, "unsupported manifest version (expected \"1\" or 2)");
      read_v1(r, root, app);
    } else {
      r.error(nullptr, "spin_manifest_version", "missing required field");
    }
  } catch (const toml::parse_error& e) {
    return fail(describe_parse_error(path, e));
  } catch (const ManifestError& e) {
    return fail(e.message);
  }
  // Spin's base sanitising: no trailing '/', a leading '/' always.
  if (app.base.empty() || app.base[0] != '/') app.base = "/" + app.base;
  return app;
}

std::optional<std::string> resolve_config(const App& app, const Component& c, const std::string& key) {
  auto it = c.config.find(key);
  if (it == c.config.end()) return std::nullopt;
  std::string out;
  for (const auto& part : it->second) {
    if (!part.is_var) {
      out += part.text;
      continue;
    }
    std::string upper;
    for (char ch : part.text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const char* env = std::getenv(("SPIN_VARIABLE_" + upper).c_str());
    if (!env) env = std::getenv(("SPIN_CONFIG_" + upper).c_str());
    if (env) {
      out += env;
      continue;
    }
    auto v = app.variables.find(part.text);
    if (v == app.variables.end() || !v->second.default_value) return std::nullopt;
    out += *v->second.default_value;
  }
  return out;
}

namespace {
uint16_t default_port(const std::string& scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  if (scheme == "redis") return 6379;
  if (scheme == "postgres") return 5432;
  if (scheme == "mysql") return 3306;
  return 0;
}
}  // namespace

bool outbound_allowed(const Component& c, const std::string& scheme, const std::string& host, uint16_t port) {
  for (const auto& pat : c.allowed_outbound_hosts) {
    size_t sep = pat.find("://");
    std::string ps = pat.substr(0, sep), rest = pat.substr(sep + 3);
    std::string ph = rest, pp;
    if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
      ph = rest.substr(0, colon);
      pp = rest.substr(colon + 1);
    }
    if (ps != "*" && ps != scheme) continue;
    bool host_ok = ph == "*" || ph == host ||
                   (ph.rfind("*.", 0) == 0 && host.size() > ph.size() - 1 &&
                    host.compare(host.size() - (ph.size() - 1), ph.size() - 1, ph.substr(1)) == 0);
    if (!host_ok) continue;
    if (pp == "*") return true;
    uint16_t want = pp.empty() ? default_port(ps == "*" ? scheme : ps) : static_cast<uint16_t>(std::atoi(pp.c_str()));
    if (want == port) return true;
  }
  return false;
}

}  // namespace wasipool::spin
