// See containerd_config.h. toml++ gives every node its source position; that is all we need to know
// where an existing table's header is.
#include "node/containerd_config.h"

#include <algorithm>
#include <toml++/toml.h>

namespace wasipool::node {
namespace {

constexpr std::string_view kBlockBegin = "# >>> wasipool node install";
constexpr std::string_view kBlockEnd = "# <<< wasipool node install";
constexpr std::string_view kLineMarker = "# added by wasipool node install";

std::string_view cri_plugin_key(int version) {
  if (version <= 1) return "cri";
  if (version == 2) return "io.containerd.grpc.v1.cri";
  return "io.containerd.cri.v1.runtime";
}

std::string where(std::string_view file, const toml::source_region& s) {
  return std::string(file) + ":" + std::to_string(s.begin.line) + ":" + std::to_string(s.begin.column);
}

bool parse(std::string_view text, std::string_view file, toml::table* out, std::string* error) {
  try {
    *out = toml::parse(text, std::string(file));
    return true;
  } catch (const toml::parse_error& e) {
    *error = where(file, e.source()) + ": invalid TOML: " + std::string(e.description());
    return false;
  }
}

// The lines of `text`, each with its terminator (the last may have none).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The key path a `[a."b.c".d]` header line names: the line parsed on its own is a chain of single-key
// tables (letting toml++ do the unquoting instead of a second key parser).
std::optional<std::vector<std::string>> header_path(std::string_view line) {
  std::string_view t = trim(line);
  if (t.size() < 3 || t[0] != '[' || t[1] == '[') return std::nullopt;
  toml::table doc;
  try {
    doc = toml::parse(t);
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
  std::vector<std::string> path;
  const toml::table* cur = &doc;
  while (cur->size() == 1) {
    auto it = cur->begin();
    path.emplace_back(it->first.str());
    cur = it->second.as_table();
    if (!cur) return std::nullopt;
  }
  if (!cur->empty()) return std::nullopt;
  return path;
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

bool ConfigAnalysis::all_registered() const {
  return std::all_of(handlers.begin(), handlers.end(),
                     [](const HandlerEntry& h) { return h.kind == HandlerEntry::Kind::kRegistered; });
}

std::string runtimes_section(int version) {
  std::string_view key = cri_plugin_key(version);
  std::string k = version <= 1 ? std::string(key) : quote(key);
  return "plugins." + k + ".containerd.runtimes";
}

std::optional<ConfigAnalysis> analyse_config(std::string_view text, std::string_view file, int version_if_empty,
                                             std::string* error) {
  toml::table doc;
  if (!parse(text, file, &doc, error)) return std::nullopt;
  ConfigAnalysis a;
  a.empty = doc.empty();
  if (const toml::node* v = doc.get("version")) {
    std::optional<int64_t> n = v->value<int64_t>();
    if (!n || *n < 1 || *n > 3) {
      *error = where(file, v->source()) + ": `version` must be 1, 2 or 3";
      return std::nullopt;
    }
    a.version = static_cast<int>(*n);
    a.version_explicit = true;
  } else {
    // containerd reads a file without `version` as version 1 (plugins keyed by short id, e.g. "cri").
    a.version = a.empty ? version_if_empty : 1;
  }

  std::string_view cri = cri_plugin_key(a.version);
  if (const toml::array* d = doc["disabled_plugins"].as_array()) {
    for (const toml::node& e : *d) {
      std::optional<std::string_view> s = e.value<std::string_view>();
      if (s && (*s == "cri" || *s == "io.containerd.grpc.v1.cri" || *s == cri)) a.cri_disabled = true;
    }
  }

  // plugins.<cri>.containerd.runtimes: each step must be a table if present.
  const std::string_view steps[] = {"plugins", cri, "containerd", "runtimes"};
  const toml::table* runtimes = &doc;
  std::string path;
  for (std::string_view step : steps) {
    path += (path.empty() ? "" : ".") + std::string(step);
    const toml::node* n = runtimes->get(step);
    if (!n) {
      runtimes = nullptr;
      break;
    }
    runtimes = n->as_table();
    if (!runtimes) {
      *error = where(file, n->source()) + ": `" + path + "` is not a table";
      return std::nullopt;
    }
  }
  if (std::optional<std::string_view> d =
          doc["plugins"][cri]["containerd"]["default_runtime_name"].value<std::string_view>())
    a.default_runtime = std::string(*d);
  a.default_runtime_defined = runtimes && runtimes->get(a.default_runtime) != nullptr;
  std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t i = 0; i < kHandlerCount; ++i) {
    HandlerEntry& h = a.handlers[i];
    const toml::node* n = runtimes ? runtimes->get(kHandlers[i].name) : nullptr;
    if (!n) continue;
    const toml::table* t = n->as_table();
    if (!t) {
      *error = where(file, n->source()) + ": runtime `" + std::string(kHandlers[i].name) + "` is not a table";
      return std::nullopt;
    }
    h.line = static_cast<int>(t->source().begin.line);
    const toml::node* rt = t->get("runtime_type");
    if (!rt) {
      h.kind = HandlerEntry::Kind::kNoRuntimeType;
      // An explicit `[...runtimes.<h>]` header on the table's line defines exactly this table.
      if (h.line >= 1 && static_cast<std::size_t>(h.line) <= lines.size() && !t->is_inline()) {
        std::optional<std::vector<std::string>> hp = header_path(lines[h.line - 1]);
        std::vector<std::string> want = {"plugins", std::string(cri), "containerd", "runtimes",
                                         std::string(kHandlers[i].name)};
        if (hp && *hp == want) h.header_line = h.line;
      }
      continue;
    }
    std::optional<std::string_view> s = rt->value<std::string_view>();
    if (s && *s == kHandlers[i].runtime_type) {
      h.kind = HandlerEntry::Kind::kRegistered;
    } else {
      h.kind = HandlerEntry::Kind::kOtherRuntimeType;
      h.found_runtime_type = s ? std::string(*s) : std::string("(not a string)");
      h.line = static_cast<int>(rt->source().begin.line);
    }
  }
  return a;
}

std::optional<ConfigEdit> plan_install(std::string_view text, std::string_view file, const ConfigAnalysis& a,
                                       std::string* error) {
  // Keep the file's line ending style (a CRLF file stays CRLF).
  const std::string nl = text.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
  const std::string section = runtimes_section(a.version);
  ConfigEdit edit;
  std::vector<std::pair<int, std::string>> inserts;  // (after line, text)
  std::string block;
  if (!a.version_explicit && a.empty) {
    block += "version = " + std::to_string(a.version) + nl;
    edit.changes.push_back("set `version = " + std::to_string(a.version) + "` (the file had no content)");
  }
  for (std::size_t i = 0; i < kHandlerCount; ++i) {
    const Handler& h = kHandlers[i];
    const HandlerEntry& e = a.handlers[i];
    std::string rt_line = "runtime_type = " + quote(h.runtime_type);
    switch (e.kind) {
      case HandlerEntry::Kind::kRegistered:
        break;
      case HandlerEntry::Kind::kOtherRuntimeType:
        *error = std::string(file) + ":" + std::to_string(e.line) + ": handler `" + std::string(h.name) +
                 "` is already registered with runtime_type \"" + e.found_runtime_type + "\" (not \"" +
                 std::string(h.runtime_type) + "\"); refusing to take it over — remove that runtime first";
        return std::nullopt;
      case HandlerEntry::Kind::kNoRuntimeType:
        if (e.header_line > 0) {
          inserts.emplace_back(e.header_line, "  " + rt_line + "  " + std::string(kLineMarker) + nl);
          edit.changes.push_back("added runtime_type to the existing [" + section + "." + std::string(h.name) +
                                 "] (line " + std::to_string(e.header_line) + ")");
          break;
        }
        [[fallthrough]];  // only implicit so far: a header may still define it (TOML allows it once)
      case HandlerEntry::Kind::kMissing:
        block += "[" + section + "." + std::string(h.name) + "]" + nl + "  " + rt_line + nl;
        edit.changes.push_back("registered runtime `" + std::string(h.name) + "` -> " + std::string(h.runtime_type));
        break;
    }
  }
  // Adding a runtimes table where there was none hides containerd's built-in runc (see the header): we
  // restate it exactly as containerd's default config has it.
  if (!a.default_runtime_defined && a.default_runtime == "runc") {
    block += "[" + section + ".runc]" + nl + "  runtime_type = \"io.containerd.runc.v2\"" + nl;
    edit.changes.push_back("restated the built-in runtime `runc` (io.containerd.runc.v2), which an explicit runtimes "
                           "table would otherwise hide");
  }
  std::vector<std::string_view> lines = split_lines(text);
  std::sort(inserts.begin(), inserts.end());
  std::size_t next = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    edit.text += lines[i];
    while (next < inserts.size() && inserts[next].first == static_cast<int>(i + 1)) {
      if (!edit.text.empty() && edit.text.back() != '\n') edit.text += nl;  // header on the last line
      edit.text += inserts[next++].second;
    }
  }
  if (!block.empty()) {
    if (!edit.text.empty() && edit.text.back() != '\n') edit.text += nl;
    edit.text += std::string(kBlockBegin) + ": runtimes for the WASI RuntimeClass handlers" +
                 " (`wasipool node uninstall` restores the original file)" + nl + block + std::string(kBlockEnd) + nl;
  }

  // The edit must parse, and containerd must now see every handler as ours: otherwise (an inline
  // `runtimes = {...}`, a table made by dotted keys) we would write a config containerd rejects.
  std::string reparse_error;
  std::optional<ConfigAnalysis> after = analyse_config(edit.text, file, a.version, &reparse_error);
  if (!after || !after->all_registered() || after->version != a.version ||
      (a.default_runtime == "runc" && !after->default_runtime_defined)) {
    *error = std::string(file) + ": cannot add the runtimes by inserting lines here" +
             (after ? std::string(" (the existing runtimes are not plain [table] sections)") : ": " + reparse_error) +
             "; add [" + section + ".<spin|slight|wasm>] with runtime_type = \"io.containerd.<name>.v1\" by hand";
    return std::nullopt;
  }
  return edit;
}

std::string strip_install_lines(std::string_view text) {
  std::string out;
  bool in_block = false;
  for (std::string_view line : split_lines(text)) {
    std::string_view t = trim(line);
    if (!in_block && t.substr(0, kBlockBegin.size()) == kBlockBegin) {
      in_block = true;
      continue;
    }
    if (in_block) {
      if (t == kBlockEnd) in_block = false;
      continue;
    }
    if (t.size() >= kLineMarker.size() && t.substr(t.size() - kLineMarker.size()) == kLineMarker) continue;
    out += line;
  }
  return out;
}

}  // namespace wasipool::node
