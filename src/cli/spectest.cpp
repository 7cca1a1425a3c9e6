// Owned by: spectest. `wasipool spectest FILE.json`: runs a spec-test script as Debian's wast2json
// (wabt 1.0.32) writes it, through the embedding API only, and reports like wabt's spectest-interp:
// one line per failure ("file:line: command: reason") and a final "N/M tests passed.".
//
// Every command is one test: module, register, action and each assert_*. Commands on text-format
// modules (.wat: `module quote`, most text assert_malformed) are skipped, because wasipool has no
// text parser; they are counted and reported as skipped, never as passed. A module that fails to
// load or instantiate is a failure of that command only: the run always goes on, and later commands
// that need the missing module fail with their own line.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "spectest_script.h"
#include "wasipool/engine.h"

namespace wasipool::cli {
namespace {

using nlohmann::json;
using spectest::ScriptValue;

struct Options {
  std::string json_path;
  bool verbose = false;
  bool strict = false;         // also require the error kind and wording to match the assertion
  unsigned timeout_ms = 20000; // per command; a hung guest is interrupted, not waited for forever
};

// Interrupts the store when one command runs longer than the timeout, so an interpreter bug that
// loops forever costs one failed assertion instead of the whole run.
class Watchdog {
 public:
  explicit Watchdog(engine::InterruptHandle handle) : handle_(std::move(handle)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void arm(unsigned timeout_ms) {
    std::lock_guard lock(mu_);
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    armed_ = true;
    fired_ = false;
    cv_.notify_all();
  }
  // Returns true if the deadline passed while armed (the store was interrupted).
  bool disarm() {
    std::lock_guard lock(mu_);
    armed_ = false;
    return fired_;
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!quit_) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
          std::chrono::steady_clock::now() >= deadline_) {
        handle_.interrupt();
        fired_ = true;
        armed_ = false;
      }
    }
  }

  engine::InterruptHandle handle_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point deadline_;
  bool armed_ = false;
  bool fired_ = false;
  bool quit_ = false;
  std::thread thread_;
};

enum class Outcome { Pass, Fail, Skip };

// What running an action produced: values, a trap, or a driver-level error (unknown export, ...).
struct ActionResult {
  std::optional<std::vector<engine::Value>> values;
  std::optional<engine::Trap> trap;
  std::string error;
};

class Runner {
 public:
  Runner(const Options& opts, const engine::Engine& eng, std::string dir, std::string source)
      : opts_(opts), engine_(eng), store_(eng), dir_(std::move(dir)), source_(std::move(source)),
        watchdog_(store_.interrupt_handle()) {}

  bool init() {
    if (auto err = spectest::define_spectest_module(linker_, store_, opts_.verbose)) {
      std::printf("%s: cannot create the spectest module: %s\n", source_.c_str(), err->c_str());
      return false;
    }
    return true;
  }

  void run(const json& commands) {
    for (const json& cmd : commands) {
      const std::string type = cmd.value("type", std::string("?"));
      line_ = cmd.value("line", 0);
      cmd_ = type;
      Outcome o;
      try {
        o = dispatch(type, cmd);
      } catch (const std::exception& e) {
        // Only the driver's own JSON handling can throw here (the engine returns results); a malformed
        // script command must not end the run.
        o = fail(std::string("exception: ") + e.what());
      }
      if (o == Outcome::Skip) {
        ++skipped_;
        if (opts_.verbose) std::printf("%s:%d: %s: skipped (text module)\n", source_.c_str(), line_, cmd_.c_str());
        continue;
      }
      ++total_;
      if (o == Outcome::Pass) ++passed_;
    }
  }

  int passed() const { return passed_; }
  int total() const { return total_; }
  int skipped() const { return skipped_; }

 private:
  Outcome dispatch(const std::string& type, const json& cmd) {
    if (type == "module") return on_module(cmd);
    if (type == "register") return on_register(cmd);
    if (type == "action") return on_action(cmd);
    if (type == "assert_return") return on_assert_return(cmd);
    if (type == "assert_trap") {
      if (cmd.contains("action")) return on_assert_trap(cmd);
      return on_assert_module(cmd, Expect::Uninstantiable);  // older scripts: assert_trap (module ...)
    }
    if (type == "assert_exhaustion") return on_assert_trap(cmd);  // its text is "call stack exhausted"
    if (type == "assert_invalid") return on_assert_module(cmd, Expect::Invalid);
    if (type == "assert_malformed") return on_assert_module(cmd, Expect::Malformed);
    if (type == "assert_unlinkable") return on_assert_module(cmd, Expect::Unlinkable);
    if (type == "assert_uninstantiable") return on_assert_module(cmd, Expect::Uninstantiable);
    return fail("unknown command type");
  }

  Outcome fail(const std::string& reason) {
    std::printf("%s:%d: %s failed: %s\n", source_.c_str(), line_, cmd_.c_str(), reason.c_str());
    return Outcome::Fail;
  }

  static bool is_text_module(const json& cmd) {
    if (cmd.value("module_type", std::string()) == "text") return true;
    const std::string f = cmd.value("filename", std::string());
    return f.size() >= 4 && f.compare(f.size() - 4, 4, ".wat") == 0;
  }

  std::string module_path(const json& cmd) const { return dir_ + "/" + cmd.value("filename", std::string()); }

  static std::string describe(const engine::Error& e) {
    return std::string(engine::name_of(e.kind)) + ": " + e.message;
  }

  Result<engine::Instance*, engine::Error> instantiate(std::shared_ptr<const engine::Module> m) {
    watchdog_.arm(opts_.timeout_ms);
    auto r = linker_.instantiate(store_, std::move(m));
    if (watchdog_.disarm()) store_.clear_interrupt();
    return r;
  }

  Outcome on_module(const json& cmd) {
    const std::string name = cmd.value("name", std::string());
    // Whatever happens, the previous module stops being the current one: later commands must not
    // silently run against it.
    current_ = nullptr;
    if (!name.empty()) named_.erase(name);
    if (is_text_module(cmd)) return Outcome::Skip;
    auto loaded = engine_.load_file(module_path(cmd));
    if (!loaded) return fail("module did not load: " + describe(loaded.error()));
    auto inst = instantiate(*loaded);
    if (!inst) return fail("module did not instantiate: " + describe(inst.error()));
    current_ = *inst;
    if (!name.empty()) named_[name] = current_;
    return Outcome::Pass;
  }

  Outcome on_register(const json& cmd) {
    engine::Instance* inst = find_instance(cmd.value("name", std::string()));
    if (!inst) return fail("no module to register");
    linker_.define_instance(cmd.value("as", std::string()), *inst);
    return Outcome::Pass;
  }

  engine::Instance* find_instance(const std::string& name) {
    if (name.empty()) return current_;
    auto it = named_.find(name);
    return it == named_.end() ? nullptr : it->second;
  }

  ActionResult run_action(const json& action) {
    ActionResult r;
    const std::string module = action.value("module", std::string());
    const std::string field = action.value("field", std::string());
    engine::Instance* inst = find_instance(module);
    if (!inst) {
      r.error = module.empty() ? "no current module" : "unknown module " + module;
      return r;
    }
    const std::string type = action.value("type", std::string());
    if (type == "get") {
      auto g = inst->get_global(field);
      if (!g) {
        r.error = "no exported global \"" + field + "\"";
        return r;
      }
      r.values = std::vector<engine::Value>{store_.global_get(*g)};
      return r;
    }
    if (type != "invoke") {
      r.error = "unknown action type " + type;
      return r;
    }
    auto f = inst->get_func(field);
    if (!f) {
      r.error = "no exported function \"" + field + "\"";
      return r;
    }
    std::vector<engine::Value> args;
    for (const json& a : action.value("args", json::array())) {
      std::string err;
      auto v = spectest::parse_value(a, &err);
      if (!v) {
        r.error = "argument: " + err;
        return r;
      }
      if (v->pattern != ScriptValue::Pattern::Exact) {
        r.error = "argument is a pattern, not a value";
        return r;
      }
      // A non-null funcref is a FuncInst pointer inside the engine; a number from a script is not one,
      // so passing it would hand the engine a forged reference.
      if (v->type == engine::ValType::FuncRef && v->bits != 0) {
        r.error = "non-null funcref arguments cannot be written in a script";
        return r;
      }
      args.push_back(spectest::to_engine_value(*v));
    }
    watchdog_.arm(opts_.timeout_ms);
    auto result = store_.call(*f, args);
    if (watchdog_.disarm()) {
      store_.clear_interrupt();
      r.error = "timed out after " + std::to_string(opts_.timeout_ms) + " ms (interrupted)";
      return r;
    }
    if (!result) {
      r.trap = std::move(result.error());
      return r;
    }
    r.values = std::move(*result);
    return r;
  }

  static std::string describe(const engine::Trap& t) {
    std::string s = std::string("trap \"") + t.message + "\" (" + engine::default_message(t.kind) + ")";
    return s;
  }

  Outcome on_action(const json& cmd) {
    ActionResult r = run_action(cmd.value("action", json::object()));
    if (!r.error.empty()) return fail(r.error);
    if (r.trap) return fail("unexpected " + describe(*r.trap));
    return Outcome::Pass;
  }

  Outcome on_assert_return(const json& cmd) {
    ActionResult r = run_action(cmd.value("action", json::object()));
    if (!r.error.empty()) return fail(r.error);
    if (r.trap) return fail("unexpected " + describe(*r.trap));
    const json expected = cmd.value("expected", json::array());
    const auto& got = *r.values;
    if (got.size() != expected.size())
      return fail("expected " + std::to_string(expected.size()) + " results, got " +
                  std::to_string(got.size()) + " " + spectest::format_values(got));
    for (size_t i = 0; i < got.size(); ++i) {
      // {"type": "either", "values": [...]}: any one of the alternatives may be the result.
      const bool either = expected[i].value("type", std::string()) == "either";
      const json alternatives = either ? expected[i].value("values", json::array()) : json::array({expected[i]});
      std::string wanted;
      bool ok = false;
      for (const json& alt : alternatives) {
        std::string err;
        auto want = spectest::parse_value(alt, &err);
        if (!want) return fail("expected result " + std::to_string(i) + ": " + err);
        ok = ok || spectest::matches(*want, got[i]);
        wanted += (wanted.empty() ? "" : " or ") + spectest::format(*want);
      }
      if (!ok)
        return fail("result " + std::to_string(i) + ": expected " + wanted + ", got " + spectest::format(got[i]));
    }
    return Outcome::Pass;
  }

  Outcome on_assert_trap(const json& cmd) {
    const std::string text = cmd.value("text", std::string());
    ActionResult r = run_action(cmd.value("action", json::object()));
    if (!r.error.empty()) return fail(r.error);
    if (!r.trap) return fail("expected trap \"" + text + "\", got " + spectest::format_values(*r.values));
    if (!spectest::trap_matches(*r.trap, text))
      return fail("expected trap \"" + text + "\", got " + describe(*r.trap));
    return Outcome::Pass;
  }

  enum class Expect { Malformed, Invalid, Unlinkable, Uninstantiable };

  // --strict: the error kind is the expected one and the message contains the script's text (the
  // engine adds context such as "in function 3 at offset 0x1a" around the spec's wording).
  static bool strict_error_matches(const engine::Error& e, engine::ErrorKind want, const std::string& text) {
    return e.kind == want && e.message.find(text) != std::string::npos;
  }

  Outcome on_assert_module(const json& cmd, Expect expect) {
    if (is_text_module(cmd)) return Outcome::Skip;
    const std::string text = cmd.value("text", std::string());
    auto loaded = engine_.load_file(module_path(cmd));
    if (expect == Expect::Malformed || expect == Expect::Invalid) {
      if (loaded) {
        return fail(std::string("module loaded, expected it to be ") +
                    (expect == Expect::Malformed ? "malformed" : "invalid") + " (\"" + text + "\")");
      }
      const engine::ErrorKind want =
          expect == Expect::Malformed ? engine::ErrorKind::Malformed : engine::ErrorKind::Invalid;
      // Where the spec draws the malformed/invalid line is subtle, and wabt checks neither the kind
      // nor the wording; --strict makes both count.
      if (opts_.strict && !strict_error_matches(loaded.error(), want, text))
        return fail("expected " + std::string(engine::name_of(want)) + " (\"" + text + "\"), got " +
                    describe(loaded.error()));
      if (opts_.verbose)
        std::printf("%s:%d: %s: ok (\"%s\" ~ %s)\n", source_.c_str(), line_, cmd_.c_str(), text.c_str(),
                    describe(loaded.error()).c_str());
      return Outcome::Pass;
    }
    // Unlinkable and uninstantiable modules are valid: they must load, then fail to instantiate.
    if (!loaded) return fail("module did not load: " + describe(loaded.error()));
    auto inst = instantiate(*loaded);
    if (inst)
      return fail(std::string("module instantiated, expected it to be ") +
                  (expect == Expect::Unlinkable ? "unlinkable" : "uninstantiable") + " (\"" + text + "\")");
    const engine::ErrorKind want =
        expect == Expect::Unlinkable ? engine::ErrorKind::Unlinkable : engine::ErrorKind::Uninstantiable;
    if (opts_.strict && !strict_error_matches(inst.error(), want, text))
      return fail("expected " + std::string(engine::name_of(want)) + " (\"" + text + "\"), got " +
                  describe(inst.error()));
    return Outcome::Pass;
  }

  const Options& opts_;
  const engine::Engine& engine_;
  engine::Store store_;
  engine::Linker linker_;
  std::string dir_;
  std::string source_;
  Watchdog watchdog_;
  engine::Instance* current_ = nullptr;
  std::map<std::string, engine::Instance*> named_;
  int line_ = 0;
  std::string cmd_;
  int passed_ = 0, total_ = 0, skipped_ = 0;
};

void usage(FILE* out) {
  std::fputs(
      "usage: wasipool spectest [--verbose] [--strict] [--timeout=MS] FILE.json\n"
      "  Runs a spec-test script produced by wast2json. Prints one line per failure and\n"
      "  'N/M tests passed.'; exits 0 only if every command passed.\n"
      "  --verbose    print skipped commands and spectest.print* calls\n"
      "  --strict     also require the error kind and wording of malformed/invalid/unlinkable/\n"
      "               uninstantiable modules to match the script\n"
      "  --timeout=MS interrupt any single command after MS milliseconds (default 20000)\n",
      out);
}

}  // namespace

int spectest_main(int argc, char** argv) {
  Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--verbose" || a == "-v") {
      opts.verbose = true;
    } else if (a == "--strict") {
      opts.strict = true;
    } else if (a.rfind("--timeout=", 0) == 0) {
      opts.timeout_ms = static_cast<unsigned>(std::strtoul(a.c_str() + 10, nullptr, 10));
      if (opts.timeout_ms == 0) opts.timeout_ms = 1;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      usage(stderr);
      return 2;
    } else if (opts.json_path.empty()) {
      opts.json_path = a;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (opts.json_path.empty()) {
    usage(stderr);
    return 2;
  }

  json script;
  {
    std::ifstream in(opts.json_path);
    if (!in) {
      std::fprintf(stderr, "wasipool spectest: cannot open %s\n", opts.json_path.c_str());
      return 2;
    }
    script = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (script.is_discarded() || !script.is_object() || !script.contains("commands") ||
        !script["commands"].is_array()) {
      std::fprintf(stderr, "wasipool spectest: %s is not a wast2json script\n", opts.json_path.c_str());
      return 2;
    }
  }
  // Module files are named relative to the script.
  std::string dir = ".";
  if (auto slash = opts.json_path.rfind('/'); slash != std::string::npos) dir = opts.json_path.substr(0, slash);
  std::string source = opts.json_path;
  if (script.contains("source_filename") && script["source_filename"].is_string())
    source = script["source_filename"].get<std::string>();

  engine::Engine eng;
  Runner runner(opts, eng, dir, source);
  if (!runner.init()) return 1;
  runner.run(script["commands"]);
  std::fflush(stdout);
  if (runner.skipped() > 0)
    std::printf("%d commands skipped (text-format modules: wasipool has no text parser).\n", runner.skipped());
  std::printf("%d/%d tests passed.\n", runner.passed(), runner.total());
  return runner.passed() == runner.total() ? 0 : 1;
}

}  // namespace wasipool::cli
