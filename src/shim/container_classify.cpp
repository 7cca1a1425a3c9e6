// Classification of a bundle's workload (see container_internal.h).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "shim/container_internal.h"

namespace wasipool::shim {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
std::string read_magic(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string buf(n, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(n));
  buf.resize(static_cast<size_t>(in.gcount()));
  return buf;
}

bool is_executable_file(const std::string& host_path) {
  struct stat st;
  return ::stat(host_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// The binary a wasm workload runs in (`run`/`serve`/`slight`): the CLI `wasipool` installed beside this
// shim binary (`wasipool node install` and the build put both in one directory); the shim binary itself
// holds no engine. "" when it is missing. WASIPOOL_SHIM_SELF names it instead (tests that link the shim
// library into their own program).
std::string workload_exe() {
  const char* env = std::getenv("WASIPOOL_SHIM_SELF");
  if (env && *env) return env;
  static const std::string found = [] {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return std::string();
    std::string path(buf, static_cast<size_t>(n));
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return std::string();
    std::string cli = path.substr(0, slash + 1) + "wasipool";
    return is_executable_file(cli) ? cli : std::string();
  }();
  return found;
}

bool is_native(const std::string& host_path) {
  if (!is_executable_file(host_path)) return false;
  std::string m = read_magic(host_path, 4);
  return m == std::string("\x7f" "ELF", 4) || m.compare(0, 2, "#!") == 0;
}

std::string join(const std::string& dir, const std::string& rel) {
  if (dir.empty() || dir == "/") return "/" + rel;
  return dir + "/" + rel;
}

// args[0] as the container would exec it: a name without '/' goes through the spec's PATH.
std::string find_entrypoint(const OciSpec& spec, const std::string& rootfs, const std::string& arg0) {
  if (arg0.find('/') != std::string::npos) {
    std::string in_container = arg0[0] == '/' ? arg0 : join(spec.cwd, arg0);
    return resolve_in_root(rootfs, in_container);
  }
  std::string path = spec.env_value("PATH").value_or(kDefaultPath);
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty() || dir[0] != '/') continue;
    std::string host = resolve_in_root(rootfs, join(dir, arg0));
    if (!host.empty() && is_executable_file(host)) return host;
  }
  return "";
}

bool exists_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

const char* kind_name(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kRunc: return "runc";
    case WorkloadKind::kWasm: return "wasm";
    case WorkloadKind::kSpin: return "spin";
    case WorkloadKind::kSlight: return "slight";
  }
  return "?";
}

std::string resolve_in_root(const std::string& root, const std::string& path) {
  std::vector<std::string> todo;  // components still to walk, in reverse order
  auto push_path = [&](const std::string& p) {
    std::vector<std::string> parts;
    std::stringstream ss(p);
    std::string c;
    while (std::getline(ss, c, '/'))
      if (!c.empty() && c != ".") parts.push_back(c);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
  };
  push_path(path);
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string c = todo.back();
    todo.pop_back();
    if (c == "..") {
      // ".." at the container root stays at the root: an image must not reach the host's files.
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string host = root;
    for (const auto& d : done) host += "/" + d;
    host += "/" + c;
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) return "";
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return "";  // ELOOP
      char buf[4096];
      ssize_t n = ::readlink(host.c_str(), buf, sizeof buf - 1);
      if (n <= 0) return "";
      std::string target(buf, static_cast<size_t>(n));
      if (target[0] == '/') done.clear();  // absolute links are relative to the container root
      push_path(target);
      continue;
    }
    done.push_back(c);
  }
  std::string host = root;
  for (const auto& d : done) host += "/" + d;
  return host;
}

std::string classify_workload(Flavour flavour, const OciSpec& spec, const std::string& rootfs, Workload* out) {
  const std::string& arg0 = spec.args[0];
  std::string entry = find_entrypoint(spec, rootfs, arg0);
  if (!entry.empty() && is_native(entry)) {
    out->kind = WorkloadKind::kRunc;
    return "";
  }
  out->env = spec.env;
  out->cwd = rootfs;
  const std::string exe = workload_exe();
  if (exe.empty())
    return "cannot run wasm workloads: no executable `wasipool` beside this shim binary (install both, as "
           "`wasipool node install` does)";
  if (flavour == Flavour::kSpin) {
    std::string manifest = rootfs + "/spin.toml";
    if (!exists_file(manifest))
      return "config.json: process.args[0] \"" + arg0 + "\" is not an ELF or #! executable, and the rootfs has no " +
             "/spin.toml (" + manifest + ")";
    out->kind = WorkloadKind::kSpin;
    std::string listen = spec.env_value("SPIN_HTTP_LISTEN_ADDR").value_or("0.0.0.0:80");
    if (listen.empty()) listen = "0.0.0.0:80";
    out->argv = {exe, "serve", "--listen", listen, "--quiet", manifest};
    return "";
  }
  if (flavour == Flavour::kSlight) {
    std::string cfg = rootfs + "/slightfile.toml", app = rootfs + "/app.wasm";
    for (const std::string& f : {cfg, app})
      if (!exists_file(f))
        return "config.json: process.args[0] \"" + arg0 + "\" is not an ELF or #! executable, and the rootfs has no " +
               f.substr(rootfs.size()) + " (" + f + ")";
    out->kind = WorkloadKind::kSlight;
    out->argv = {exe, "slight", "-c", cfg, "run", app};
    return "";
  }
  // wasm: args[0] is a module inside the rootfs, optionally "path#function".
  std::string module = arg0, func;
  if (size_t hash = arg0.rfind('#'); hash != std::string::npos && hash > 0) {
    module = arg0.substr(0, hash);
    func = arg0.substr(hash + 1);
  }
  auto in_container = [&](const std::string& p) { return p[0] == '/' ? p : join(spec.cwd, p); };
  std::string host;
  if (!func.empty()) host = resolve_in_root(rootfs, in_container(module));
  else if (!entry.empty()) host = entry;  // found through PATH (or an explicit path)
  else host = resolve_in_root(rootfs, in_container(module));
  if (host.empty() || !exists_file(host))
    return "config.json: process.args[0] \"" + arg0 + "\": no such file in the rootfs (" + rootfs + ")";
  if (read_magic(host, 4) != std::string("\0asm", 4))
    return "config.json: process.args[0] \"" + arg0 + "\": " + host +
           " is not a wasm module (no \\0asm magic) nor an ELF/#! executable";
  out->kind = WorkloadKind::kWasm;
  // root.readonly (CRI's readOnlyRootFilesystem) becomes a read-only preopen of the rootfs.
  out->argv = {exe, "run", spec.root_readonly ? "--dir-ro" : "--dir", rootfs + "::/"};
  for (const auto& m : spec.mounts) {
    // Bind mounts become preopens (pod volumes, ...). Only directories can be preopened; file binds such
    // as /etc/hosts have no WASI equivalent and are skipped.
    if (!m.is_bind() || m.source.empty() || m.destination == "/") continue;
    struct stat st;
    if (::stat(m.source.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    out->argv.push_back(m.read_only() ? "--dir-ro" : "--dir");
    out->argv.push_back(m.source + "::" + m.destination);
  }
  for (const auto& e : spec.env) {
    if (e.find('=') == std::string::npos) continue;
    out->argv.push_back("--env");
    out->argv.push_back(e);
  }
  if (!func.empty()) {
    out->argv.push_back("--invoke");
    out->argv.push_back(func);
  } else {
    out->argv.push_back("--argv0");
    out->argv.push_back(arg0);
  }
  out->argv.push_back("--");
  out->argv.push_back(host);
  for (size_t i = 1; i < spec.args.size(); ++i) out->argv.push_back(spec.args[i]);
  return "";
}

}  // namespace wasipool::shim
