// Reading a parsed TOML file (toml++) with errors that name the file, the line and the key path:
// "FILE:LINE: key.path: what is wrong". Shared by the spin.toml and slightfile.toml parsers; only their
// two .cpp files include it (toml++ is header-only and slow to compile).
// Errors are thrown as TomlError and must be caught at the parser's boundary and turned into a Result
// (config files are operator input, not a guest-facing path).
#pragma once
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <utility>
#include <vector>

namespace wasipool::spin {

struct TomlError {
  std::string message;
};

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void error(const toml::node* n, const std::string& path, const std::string& what) const {
    std::string where = file_;
    if (n && n->source().begin.line) where += ":" + std::to_string(n->source().begin.line);
    throw TomlError{where + ": " + (path.empty() ? std::string() : path + ": ") + what};
  }
  [[noreturn]] void error_line(uint32_t line, const std::string& path, const std::string& what) const {
    throw TomlError{file_ + ":" + std::to_string(line) + ": " + path + ": " + what};
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  // Rejects every key of `t` not in `allowed`.
  void only(const toml::table& t, const std::string& path, std::initializer_list<std::string_view> allowed) const {
    for (auto&& [k, v] : t) {
      bool ok = false;
      for (auto a : allowed) ok |= (k.str() == a);
      if (!ok) error_line(k.source().begin.line, join(path, k.str()), "unknown field");
    }
  }

  const toml::table& table(const toml::node& n, const std::string& path) const {
    if (auto* t = n.as_table()) return *t;
    error(&n, path, "expected a table");
  }
  const toml::array& array(const toml::node& n, const std::string& path) const {
    if (auto* a = n.as_array()) return *a;
    error(&n, path, "expected an array");
  }
  std::string string(const toml::node& n, const std::string& path) const {
    if (auto* s = n.as_string()) return s->get();
    error(&n, path, "expected a string");
  }
  bool boolean(const toml::node& n, const std::string& path) const {
    if (auto* b = n.as_boolean()) return b->get();
    error(&n, path, "expected a boolean");
  }
  std::optional<std::string> opt_string(const toml::table& t, const std::string& path, std::string_view key) const {
    auto* n = t.get(key);
    if (!n) return std::nullopt;
    return string(*n, join(path, key));
  }
  std::string req_string(const toml::table& t, const std::string& path, std::string_view key) const {
    auto* n = t.get(key);
    if (!n) error(&t, join(path, key), "missing required field");
    return string(*n, join(path, key));
  }
  std::vector<std::string> strings(const toml::table& t, const std::string& path, std::string_view key) const {
    std::vector<std::string> out;
    auto* n = t.get(key);
    if (!n) return out;
    const auto& a = array(*n, join(path, key));
    for (size_t i = 0; i < a.size(); ++i) out.push_back(string(*a.get(i), join(path, key) + "[" + std::to_string(i) + "]"));
    return out;
  }
  std::map<std::string, std::string> string_map(const toml::table& t, const std::string& path, std::string_view key,
                                                std::vector<std::pair<std::string, std::string>>* ordered = nullptr) const {
    std::map<std::string, std::string> out;
    auto* n = t.get(key);
    if (!n) return out;
    const auto& m = table(*n, join(path, key));
    for (auto&& [k, v] : m) {
      std::string val = string(v, join(join(path, key), k.str()));
      out[std::string(k.str())] = val;
      if (ordered) ordered->emplace_back(std::string(k.str()), val);
    }
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace wasipool::spin
