// `wasipool run` command-line parsing (owner: run). Hand-written rather than CLI11: `wasipool run
// hello.wasm` must start in well under a millisecond, so no option tables are built at startup.
#include <cstdlib>
#include <cstring>

#include "run_options.h"

namespace wasipool::cli::run {

void print_usage(std::FILE* out) {
  std::fputs(
      "usage: wasipool run [OPTIONS] MODULE [ARGS...]\n"
      "Runs a wasm32-wasi command (its _start) or, with --invoke, one exported function.\n"
      "options:\n"
      "  --dir HOST[::GUEST]     grant read-write access to the host directory HOST, seen by the guest\n"
      "                          as GUEST (default: HOST as written)\n"
      "  --dir-ro HOST[::GUEST]  the same, read-only: no write, create, delete, rename or truncate\n"
      "  --env NAME=VALUE        set an environment variable for the guest\n"
      "  --env NAME              pass the host's value of NAME (nothing else of the host environment is visible)\n"
      "  --invoke FUNC           call the export FUNC with ARGS (converted to its parameter types) and print\n"
      "                          its results, one per line; a reactor's _initialize runs first\n"
      "  --tcplisten ADDR:PORT   pre-open a listening TCP socket (guest fd after the preopens)\n"
      "  --max-memory BYTES      cap each linear memory (suffixes K, M, G; memory.grow beyond it fails)\n"
      "  --timeout SECONDS       interrupt the guest after this wall time (e.g. 2, 0.5, 300ms): trap, exit 134\n"
      "  --argv0 NAME            the guest's argv[0] (default: MODULE as written)\n"
      "  -h, --help              show this help\n"
      "  --                      end of options (before MODULE; a single -- right after MODULE is also dropped)\n"
      "exit status: the guest's exit code; 134 after a trap; 1 when the module cannot be loaded or linked;\n"
      "2 for a usage error.\n",
      out);
}

std::optional<uint64_t> parse_size(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  uint64_t value = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  std::string_view suffix = text.substr(i);
  uint64_t mult = 1;
  if (suffix.empty() || suffix == "B") mult = 1;
  else if (suffix == "K" || suffix == "k" || suffix == "KiB" || suffix == "KB") mult = 1ull << 10;
  else if (suffix == "M" || suffix == "MiB" || suffix == "MB") mult = 1ull << 20;
  else if (suffix == "G" || suffix == "GiB" || suffix == "GB") mult = 1ull << 30;
  else return std::nullopt;
  if (value > UINT64_MAX / mult) return std::nullopt;
  return value * mult;
}

std::optional<double> parse_duration(std::string_view text) {
  std::string s(text);
  double scale = 1.0;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, "ms") == 0) {
    scale = 1e-3;
    s.resize(s.size() - 2);
  } else if (s.size() > 1 && s.back() == 's') {
    s.pop_back();
  }
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !(v > 0) || v > 1e9) return std::nullopt;
  return v * scale;
}

namespace {

// Splits HOST[::GUEST]. The guest name defaults to HOST as written, like wasmtime's --dir.
DirGrant parse_dir(std::string_view spec, bool read_only) {
  DirGrant d;
  size_t sep = spec.find("::");
  if (sep == std::string_view::npos) {
    d.host = std::string(spec);
    d.guest = d.host;
  } else {
    d.host = std::string(spec.substr(0, sep));
    d.guest = std::string(spec.substr(sep + 2));
  }
  d.read_only = read_only;
  return d;
}

bool valid_env_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c == '=' || c == '\0') return false;
  return true;
}

}  // namespace

Result<Options, std::string> parse_options(int argc, char** argv) {
  Options o;
  int i = 1;
  bool options_ended = false;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (options_ended || arg.empty() || arg[0] != '-' || arg == "-") break;
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      o.help = true;
      return o;
    }
    std::string_view name = arg;
    std::optional<std::string> inline_value;
    if (size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = std::string(arg.substr(eq + 1));
    }
    // The option's value, given either as "--opt VALUE" or "--opt=VALUE".
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) return inline_value;
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto missing = [&]() { return fail("option " + std::string(name) + " needs a value"); };

    if (name == "--dir" || name == "--dir-ro") {
      auto v = value();
      if (!v) return missing();
      DirGrant d = parse_dir(*v, name == "--dir-ro");
      if (d.host.empty() || d.guest.empty())
        return fail("bad " + std::string(name) + " '" + *v + "': expected HOST[::GUEST]");
      o.dirs.push_back(std::move(d));
    } else if (name == "--env") {
      auto v = value();
      if (!v) return missing();
      EnvGrant e;
      if (size_t eq = v->find('='); eq != std::string::npos) {
        e.name = v->substr(0, eq);
        e.value = v->substr(eq + 1);
      } else {
        e.name = *v;
      }
      if (!valid_env_name(e.name)) return fail("bad --env '" + *v + "': expected NAME=VALUE or NAME");
      o.env.push_back(std::move(e));
    } else if (name == "--invoke") {
      auto v = value();
      if (!v) return missing();
      if (v->empty()) return fail("bad --invoke: empty function name");
      o.invoke = std::move(*v);
    } else if (name == "--tcplisten") {
      auto v = value();
      if (!v) return missing();
      o.tcplisten.push_back(std::move(*v));
    } else if (name == "--max-memory") {
      auto v = value();
      if (!v) return missing();
      auto bytes = parse_size(*v);
      if (!bytes) return fail("bad --max-memory '" + *v + "': expected BYTES, e.g. 1048576, 64K, 16M, 1G");
      o.max_memory = *bytes;
    } else if (name == "--timeout") {
      auto v = value();
      if (!v) return missing();
      auto secs = parse_duration(*v);
      if (!secs) return fail("bad --timeout '" + *v + "': expected a positive duration, e.g. 2, 0.5, 300ms");
      o.timeout = *secs;
    } else if (name == "--argv0") {
      auto v = value();
      if (!v) return missing();
      o.argv0 = std::move(*v);
    } else {
      return fail("unknown option '" + std::string(name) + "' (try 'wasipool run --help')");
    }
  }
  if (i >= argc) return fail("missing MODULE (try 'wasipool run --help')");
  o.module = argv[i++];
  // `wasipool run hello.wasm -- demo`: a lone `--` right after MODULE separates it from the guest's
  // arguments (only when `--` did not already end the options before MODULE).
  if (!options_ended && i < argc && std::strcmp(argv[i], "--") == 0) ++i;
  for (; i < argc; ++i) o.args.emplace_back(argv[i]);
  return o;
}

}  // namespace wasipool::cli::run
