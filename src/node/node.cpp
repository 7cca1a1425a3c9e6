// See node.h. Order of work in install: everything that can fail on input (config parse, conflicts) is
// checked before the first write, so a refused install leaves the node exactly as it was.
#include "node/node.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "node/bin_dir.h"
#include "node/containerd_config.h"
#include "node/containerd_host.h"
#include "node/handlers.h"
#include "node/labels.h"
#include "node/process.h"

namespace wasipool::node {
namespace {

constexpr const char* kBackupSuffix = ".wasipool-backup";
constexpr const char* kCreatedSuffix = ".wasipool-created";

bool read_file(const std::string& path, std::string* text, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  text->clear();
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text->append(buf, static_cast<std::size_t>(n));
  close(fd);
  if (n < 0) *error = path + ": " + std::strerror(errno);
  return n == 0;
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Writes `text` beside `path` and renames it over `path`, with `like`'s mode and owner when it exists:
// containerd never reads a half-written config, and a 0600 root-only config stays 0600.
bool write_atomically(const std::string& path, const std::string& text, const std::string& like, std::string* error) {
  std::string tmp = path + ".wasipool-tmp";
  struct stat st;
  bool have_like = stat(like.c_str(), &st) == 0;
  // A fresh file, never through a link: whatever sits at the temp name must not redirect our write.
  unlink(tmp.c_str());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = tmp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = true;
  for (std::size_t off = 0; ok && off < text.size();) {
    ssize_t w = write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) ok = false;
    else off += static_cast<std::size_t>(w);
  }
  if (ok && have_like) ok = fchmod(fd, st.st_mode & 07777) == 0 && fchown(fd, st.st_uid, st.st_gid) == 0;
  if (ok) ok = fsync(fd) == 0;
  if (!ok) *error = tmp + ": " + std::strerror(errno);
  close(fd);
  if (ok && rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "rename " + tmp + " to " + path + ": " + std::strerror(errno);
    ok = false;
  }
  if (!ok) unlink(tmp.c_str());
  return ok;
}

// A config that is a symlink (managed elsewhere) is edited at its target, keeping the link.
std::string real_config_path(const std::string& config) {
  struct stat st;
  if (lstat(config.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    char buf[PATH_MAX];
    if (realpath(config.c_str(), buf)) return buf;
  }
  return config;
}

bool mkdir_parents(const std::string& file, std::string* error) {
  std::size_t pos = 0;
  while ((pos = file.find('/', pos + 1)) != std::string::npos) {
    std::string dir = file.substr(0, pos);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = "mkdir " + dir + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Lines of `after` that are not in `before` (after only inserts lines, so a two-pointer walk suffices).
void print_added_lines(const std::string& before, const std::string& after, std::FILE* out) {
  std::size_t b = 0, a = 0;
  while (a < after.size()) {
    std::size_t ae = after.find('\n', a);
    ae = ae == std::string::npos ? after.size() : ae + 1;
    std::size_t be = before.find('\n', b);
    be = be == std::string::npos ? before.size() : be + 1;
    std::string_view al(after.data() + a, ae - a), bl(before.data() + b, be - b);
    std::string_view al_trim = al, bl_trim = bl;
    if (!al_trim.empty() && al_trim.back() == '\n') al_trim.remove_suffix(1);
    if (!bl_trim.empty() && bl_trim.back() == '\n') bl_trim.remove_suffix(1);
    if (b < before.size() && al_trim == bl_trim) {
      b = be;
    } else {
      std::fprintf(out, "  + %.*s\n", static_cast<int>(al_trim.size()), al_trim.data());
    }
    a = ae;
  }
}

std::string path_env(const Options& o) {
  if (!o.path.empty()) return o.path;
  const char* p = std::getenv("PATH");
  return p ? p : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// Restarts containerd through systemd when it runs that way; otherwise says what to restart.
// false only when a restart was attempted and failed.
bool restart_containerd(const Options& o, std::FILE* out, std::FILE* err) {
  if (o.no_restart) {
    std::fprintf(out, "not restarting containerd (--no-restart): restart it so it reads %s\n", o.config.c_str());
    return true;
  }
  ProcessResult active = run_process({o.systemctl, "is-active", "containerd"}, o.host_namespaces, 30);
  if (active.ok() && trimmed(active.output) == "active") {
    ProcessResult r = run_process({o.systemctl, "restart", "containerd"}, o.host_namespaces, 120);
    if (!r.ok()) {
      std::fprintf(err, "wasipool node: `%s restart containerd` failed: %s\n", o.systemctl.c_str(),
                   trimmed(r.output).c_str());
      return false;
    }
    std::fprintf(out, "restarted containerd (%s restart containerd)\n", o.systemctl.c_str());
    return true;
  }
  std::string why = active.started ? "`" + o.systemctl + " is-active containerd` says: " + trimmed(active.output)
                                   : trimmed(active.output);
  std::fprintf(out,
               "containerd is not running under systemd (%s).\n"
               "RESTART containerd yourself so it reads %s (containerd reads its config only at start).\n",
               why.c_str(), o.config.c_str());
  return true;
}

std::optional<ContainerdVersion> detect_version(const Options& o, std::FILE* out) {
  std::string why;
  std::optional<ContainerdVersion> v = containerd_version(o.containerd, o.host_namespaces, &why);
  if (v) std::fprintf(out, "containerd %s\n", v->text.c_str());
  else std::fprintf(out, "containerd version unknown (%s)\n", trimmed(why).c_str());
  return v;
}

bool apply_labels_if_asked(const Options& o, bool remove, std::FILE* out, std::FILE* err) {
  if (o.kubeconfig.empty() && o.node_name.empty()) return true;
  if (o.kubeconfig.empty() || o.node_name.empty()) {
    std::fprintf(err, "wasipool node: --kubeconfig and --node go together\n");
    return false;
  }
  std::string error;
  if (!apply_node_labels(o.kubectl, o.kubeconfig, o.node_name, remove, out, &error)) {
    std::fprintf(err, "wasipool node: %s\n", error.c_str());
    return false;
  }
  return true;
}

// Label arguments are checked before any change, so a missing kubectl refuses the whole install.
bool label_args_ok(const Options& o, std::FILE* err) {
  if (o.kubeconfig.empty() && o.node_name.empty()) return true;
  if (o.kubeconfig.empty() || o.node_name.empty()) {
    std::fprintf(err, "wasipool node: --kubeconfig and --node go together\nnothing changed\n");
    return false;
  }
  const char* p = std::getenv("PATH");
  if (!find_in_path(o.kubectl, p ? p : "/usr/bin:/bin")) {
    std::fprintf(err, "wasipool node: kubectl not found (`%s`; wasipool does not install it): install kubectl, "
                      "pass --kubectl PATH, or drop --kubeconfig/--node and label the node yourself\nnothing changed\n",
                 o.kubectl.c_str());
    return false;
  }
  return true;
}

// With --host-namespaces the restart and the version check happen in PID 1's namespaces; if they cannot
// be joined (no hostPID, not privileged) the install would silently skip the restart, so refuse up front.
bool host_namespaces_ok(const Options& o, std::FILE* err) {
  if (!o.host_namespaces) return true;
  ProcessResult r = run_process({"true"}, true, 30);
  if (r.started) return true;
  std::fprintf(err, "wasipool node: --host-namespaces: %s\nnothing changed\n", trimmed(r.output).c_str());
  return false;
}

bool any_registered(const ConfigAnalysis& a) {
  for (const HandlerEntry& h : a.handlers)
    if (h.kind == HandlerEntry::Kind::kRegistered) return true;
  return false;
}

}  // namespace

int install(const Options& o, std::FILE* out, std::FILE* err) {
  if (!label_args_ok(o, err) || !host_namespaces_ok(o, err)) return 1;
  std::optional<ContainerdVersion> version = detect_version(o, out);
  const std::string config = real_config_path(o.config);
  const bool config_exists = exists(config);
  std::string text, error;
  if (config_exists && !read_file(config, &text, &error)) {
    std::fprintf(err, "wasipool node: %s\n", error.c_str());
    return 1;
  }
  // A config with no content gets the version containerd runs natively: 2 for 1.6/1.7, 3 for 2.x.
  int version_if_empty = o.config_version ? o.config_version : (version && version->major >= 2 ? 3 : 2);
  std::optional<ConfigAnalysis> a = analyse_config(text, o.config, version_if_empty, &error);
  if (!a) {
    std::fprintf(err, "wasipool node: %s\nnothing changed\n", error.c_str());
    return 1;
  }
  if (!a->version_explicit && !a->empty && version && version->major >= 2) {
    std::fprintf(err,
                 "wasipool node: %s has no `version` key (config version 1), which containerd %s no longer reads; "
                 "add `version = 2` or `version = 3` first\nnothing changed\n",
                 o.config.c_str(), version->text.c_str());
    return 1;
  }
  if (a->version == 3 && version && version->major < 2)
    std::fprintf(out, "warning: %s is a version 3 config but containerd %s reads versions 1 and 2\n", o.config.c_str(),
                 version->text.c_str());
  if (a->cri_disabled)
    std::fprintf(out, "warning: %s disables the CRI plugin (disabled_plugins): kubelet cannot use any runtime until "
                      "it is enabled\n", o.config.c_str());
  std::optional<ConfigEdit> edit;
  if (!a->all_registered() || (a->default_runtime == "runc" && !a->default_runtime_defined && !a->empty &&
                                any_registered(*a))) {
    edit = plan_install(text, o.config, *a, &error);
    if (!edit) {
      std::fprintf(err, "wasipool node: %s\nnothing changed\n", error.c_str());
      return 1;
    }
  }
  std::vector<std::string> conflicts = bin_dir_conflicts(o.bin_dir, sources_beside(o.self_exe));
  if (!conflicts.empty() && !o.force) {
    for (const std::string& c : conflicts) std::fprintf(err, "wasipool node: %s\n", c.c_str());
    std::fprintf(err, "wasipool node: refusing to replace files wasipool did not install (--force replaces them)\n"
                      "nothing changed\n");
    return 1;
  }
  std::fprintf(out, "config %s: version %d, runtimes in [%s]\n", o.config.c_str(), a->version,
               runtimes_section(a->version).c_str());

  if (o.dry_run) {
    std::fprintf(out, "dry run: nothing is changed\n");
    for (const BinEntryStatus& s : bin_dir_status(o.bin_dir, sources_beside(o.self_exe)))
      if (!s.current || (s.name != kBinaryName && s.name != kShimBinaryName))
        std::fprintf(out, "would install %s/%s (now: %s)\n", o.bin_dir.c_str(), s.name.c_str(), s.state.c_str());
    if (edit) {
      std::fprintf(out, "would %s %s:\n", config_exists ? "edit" : "create", o.config.c_str());
      print_added_lines(text, edit->text, out);
    } else {
      std::fprintf(out, "config already registers spin, slight and wasm\n");
    }
    return 0;
  }

  std::vector<std::string> changes;
  if (!install_bin_dir(o.bin_dir, sources_beside(o.self_exe), &changes, &error)) {
    std::fprintf(err, "wasipool node: %s\n", error.c_str());
    return 1;
  }
  if (edit) {
    const std::string backup = config + kBackupSuffix;
    if (!config_exists) {
      // Nothing to back up: a marker tells uninstall to delete the file instead of restoring it.
      if (!mkdir_parents(config, &error) || !write_atomically(config + kCreatedSuffix, "", "", &error)) {
        std::fprintf(err, "wasipool node: %s\n", error.c_str());
        return 1;
      }
      changes.push_back("created " + o.config + " (it did not exist; containerd's defaults apply to the rest)");
    } else {
      // The backup is written once, before the first change. If one exists but no longer matches the
      // file minus our lines, someone changed the config since: the current file is the new original.
      std::string old_backup;
      bool keep = exists(backup) && read_file(backup, &old_backup, &error) &&
                  (strip_install_lines(text) == old_backup || strip_install_lines(text) == old_backup + "\n");
      if (!keep) {
        if (!write_atomically(backup, text, config, &error)) {
          std::fprintf(err, "wasipool node: backup failed, nothing changed in the config: %s\n", error.c_str());
          return 1;
        }
        changes.push_back("backed up " + o.config + " to " + backup);
      }
    }
    if (!write_atomically(config, edit->text, config, &error)) {
      std::fprintf(err, "wasipool node: %s\n", error.c_str());
      return 1;
    }
    for (const std::string& c : edit->changes) changes.push_back(o.config + ": " + c);
  }
  for (const std::string& c : changes) std::fprintf(out, "%s\n", c.c_str());
  if (changes.empty()) std::fprintf(out, "already installed: nothing changed\n");
  bool ok = true;
  if (edit) ok = restart_containerd(o, out, err);
  std::fprintf(out, "node labels for this node:\n");
  for (const std::string& l : node_labels()) std::fprintf(out, "  %s\n", l.c_str());
  if (!apply_labels_if_asked(o, false, out, err)) ok = false;
  return ok ? 0 : 1;
}

int uninstall(const Options& o, std::FILE* out, std::FILE* err) {
  if (!label_args_ok(o, err) || !host_namespaces_ok(o, err)) return 1;
  const std::string config = real_config_path(o.config);
  const std::string backup = config + kBackupSuffix;
  const std::string created = config + kCreatedSuffix;
  std::string text, error;
  bool config_changed = false;
  bool have_text = exists(config) && read_file(config, &text, &error);
  std::string original;
  if (exists(created)) {
    std::string rest = strip_install_lines(text);
    if (rest.find_first_not_of(" \t\r\n") != std::string::npos && !o.force) {
      std::fprintf(err, "wasipool node: %s was created by install but has been edited since; "
                        "not deleting it (--force deletes it)\n", o.config.c_str());
      return 1;
    }
    if (have_text && unlink(config.c_str()) != 0) {
      std::fprintf(err, "wasipool node: remove %s: %s\n", o.config.c_str(), std::strerror(errno));
      return 1;
    }
    unlink(created.c_str());
    std::fprintf(out, "removed %s (install had created it)\n", o.config.c_str());
    config_changed = true;
  } else if (exists(backup)) {
    if (!read_file(backup, &original, &error)) {
      std::fprintf(err, "wasipool node: %s\n", error.c_str());
      return 1;
    }
    std::string rest = strip_install_lines(text);
    // Restoring the backup would also undo whatever else changed since install: only when nothing did.
    if (rest != original && rest != original + "\n" && !o.force) {
      std::fprintf(err,
                   "wasipool node: %s changed since install (other than wasipool's lines); restoring %s would undo "
                   "those changes. Nothing changed; --force restores the backup anyway\n",
                   o.config.c_str(), backup.c_str());
      return 1;
    }
    if (rename(backup.c_str(), config.c_str()) != 0) {
      std::fprintf(err, "wasipool node: rename %s to %s: %s\n", backup.c_str(), o.config.c_str(), std::strerror(errno));
      return 1;
    }
    std::fprintf(out, "restored %s from %s\n", o.config.c_str(), backup.c_str());
    config_changed = true;
  } else {
    std::fprintf(out, "no backup of %s: wasipool did not change it; left as is\n", o.config.c_str());
  }
  std::vector<std::string> changes;
  if (!uninstall_bin_dir(o.bin_dir, sources_beside(o.self_exe), &changes, &error)) {
    std::fprintf(err, "wasipool node: %s\n", error.c_str());
    return 1;
  }
  for (const std::string& c : changes) std::fprintf(out, "%s\n", c.c_str());
  bool ok = true;
  if (config_changed) ok = restart_containerd(o, out, err);
  if (!apply_labels_if_asked(o, true, out, err)) ok = false;
  return ok ? 0 : 1;
}

int status(const Options& o, std::FILE* out, std::FILE* err) {
  bool installed = true;
  std::fprintf(out, "bin dir %s:\n", o.bin_dir.c_str());
  for (const BinEntryStatus& s : bin_dir_status(o.bin_dir, sources_beside(o.self_exe))) {
    std::fprintf(out, "  %-27s %s\n", s.name.c_str(), s.state.c_str());
    if (!s.ours || !s.current) installed = false;
  }

  std::optional<ContainerdVersion> version = detect_version(o, out);
  const std::string config = real_config_path(o.config);
  std::string text, error;
  if (!exists(config)) {
    std::fprintf(out, "config %s: missing\n", o.config.c_str());
    installed = false;
  } else if (!read_file(config, &text, &error)) {
    std::fprintf(out, "config %s: %s\n", o.config.c_str(), error.c_str());
    installed = false;
  } else if (std::optional<ConfigAnalysis> a = analyse_config(text, o.config, 2, &error)) {
    std::fprintf(out, "config %s: version %d, runtimes in [%s]%s\n", o.config.c_str(), a->version,
                 runtimes_section(a->version).c_str(),
                 exists(config + kBackupSuffix) ? (", backup " + config + kBackupSuffix + " present").c_str() : "");
    for (std::size_t i = 0; i < kHandlerCount; ++i) {
      const HandlerEntry& h = a->handlers[i];
      const char* state = h.kind == HandlerEntry::Kind::kRegistered       ? "registered"
                          : h.kind == HandlerEntry::Kind::kMissing        ? "NOT registered"
                          : h.kind == HandlerEntry::Kind::kNoRuntimeType  ? "table without runtime_type"
                                                                          : "taken by another runtime_type";
      std::fprintf(out, "  %-7s runtime_type %-24s %s%s\n", std::string(kHandlers[i].name).c_str(),
                   std::string(kHandlers[i].runtime_type).c_str(), state,
                   h.kind == HandlerEntry::Kind::kOtherRuntimeType ? (" (" + h.found_runtime_type + ")").c_str() : "");
      if (h.kind != HandlerEntry::Kind::kRegistered) installed = false;
    }
    if (any_registered(*a) && !a->default_runtime_defined) {
      std::fprintf(out, "  the default runtime `%s` is not in the runtimes table: containerd 1.x's CRI plugin will not "
                        "load (wasipool node install restates runc)\n", a->default_runtime.c_str());
      installed = false;
    }
    if (a->cri_disabled) {
      std::fprintf(out, "  the CRI plugin is DISABLED (disabled_plugins)\n");
      installed = false;
    }
  } else {
    std::fprintf(out, "config %s: %s\n", o.config.c_str(), error.c_str());
    installed = false;
  }

  // Where containerd will find each shim (resolveRuntimePath order).
  std::string path = path_env(o);
  std::optional<std::string> ctrd = find_in_path(o.containerd, path);
  std::string ctrd_dir = ctrd ? ctrd->substr(0, ctrd->rfind('/')) : "";
  std::fprintf(out, "shim resolution (PATH=/opt/containerd/bin:%s%s):\n", path.c_str(),
               ctrd_dir.empty() ? "" : (", then " + ctrd_dir).c_str());
  for (const Handler& h : kHandlers) {
    std::optional<std::string> p = resolve_shim(std::string(h.runtime_type), path, ctrd_dir);
    std::string ours = o.bin_dir + "/" + std::string(h.shim_binary);
    struct stat sp, so;
    if (!p) {
      std::fprintf(out, "  %-24s NOT FOUND: containerd's PATH must include %s\n", std::string(h.runtime_type).c_str(),
                   o.bin_dir.c_str());
      installed = false;
    } else if (stat(p->c_str(), &sp) == 0 && stat(ours.c_str(), &so) == 0 && sp.st_ino == so.st_ino &&
               sp.st_dev == so.st_dev) {
      std::fprintf(out, "  %-24s -> %s (wasipool)\n", std::string(h.runtime_type).c_str(), p->c_str());
    } else {
      std::fprintf(out, "  %-24s -> %s (NOT the one in %s: it shadows ours)\n", std::string(h.runtime_type).c_str(),
                   p->c_str(), o.bin_dir.c_str());
      installed = false;
    }
  }

  if (!o.no_dump && ctrd && exists(config)) {
    std::optional<std::vector<std::string>> dumped = dumped_runtime_types(o.containerd, o.config, o.host_namespaces, &error);
    if (!dumped) {
      std::fprintf(out, "containerd config dump: %s\n", trimmed(error).c_str());
    } else {
      std::fprintf(out, "containerd config dump (the merged config containerd would run with):\n");
      for (std::size_t i = 0; i < kHandlerCount; ++i) {
        const std::string& rt = (*dumped)[i];
        bool good = rt == kHandlers[i].runtime_type;
        std::fprintf(out, "  %-7s %s\n", std::string(kHandlers[i].name).c_str(),
                     rt.empty() ? "absent" : ("runtime_type = \"" + rt + "\"" + (good ? "" : " (not ours)")).c_str());
        if (!good) installed = false;
      }
    }
  }

  std::fprintf(out, "node labels for this node:\n");
  for (const std::string& l : node_labels()) std::fprintf(out, "  %s\n", l.c_str());
  std::fprintf(out, "status: %s\n", installed ? "installed" : "NOT installed");
  (void)err;
  return installed ? 0 : 1;
}

int label(const Options& o, std::FILE* out, std::FILE* err) {
  if (o.kubeconfig.empty() || o.node_name.empty()) {
    for (const std::string& l : node_labels()) std::fprintf(out, "%s\n", l.c_str());
    std::fprintf(err, "wasipool node label: --kubeconfig F --node NAME apply them\n");
    return 2;
  }
  return apply_labels_if_asked(o, o.remove, out, err) ? 0 : 1;
}

}  // namespace wasipool::node
