// Reading a parsed TOML file (toml++) with errors that name the file, the line and the key path:
// "FILE:LINE: key.path: what is wrong". Shared by the spin.toml and slightfile.toml parsers; only their
// two .cpp files include it (toml++ is header-only and slow to compile).
// Errors are thrown as TomlError and must be caught at the parser's boundary and turned into a Result
// (config files are operator input, not a guest-facing path).
#pragma once
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <utility>
#include <vector>

namespace wasipool::spin {

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable() in is_non_ascii_horizontal_whitespace for the
// code points U+00A1..U+0499 and U+2D6E..U+3167 (but U+3000) wherever it tests for whitespace, which
// includes positions inside multi-line strings and after a malformed token (found by
// fuzz/fuzz_slightfile.cpp): undefined behaviour on a hostile file, and manifests come from images.
// So no such code point reaches toml++ raw: in a basic string it becomes the equivalent \uXXXX escape,
// in a comment '?'; outside strings (where TOML 1.0 allows no non-ASCII text) and in literal strings
// (no escapes there) the file is rejected. Where this scanner and toml++ disagree about what is a string,
// the escape lands outside one and toml++ reports a syntax error: still no UB.
inline bool toml_unsafe_code_point(char32_t c) {
  if (c < 0xA1 || c > 0xFEFF || c == 0x3000) return false;
  uint64_t child = (static_cast<uint64_t>(c) - 0xA0) / 0x3FA;
  return !((1ull << child) & 0x7FFFFFFFFFFFF75Eull) && child != 5 && child != 7 && c != 0xFEFF;
}

// Rewrites `text` as above. Returns "" or "LINE: reason".
inline std::string make_toml_safe(std::string& text) {
  enum class In { Outside, Comment, Basic, Literal } in = In::Outside;
  bool multi = false;
  uint32_t line = 1;
  std::string out;
  out.reserve(text.size());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    char c = text[i];
    auto starts = [&](const char* d) { return text.compare(i, 3, d) == 0; };
    if (c == '\n') {
      ++line;
      if (in == In::Comment || ((in == In::Basic || in == In::Literal) && !multi)) in = In::Outside;
    } else if (in == In::Outside && c == '#') {
      in = In::Comment;
    } else if (in == In::Outside && (c == '"' || c == '\'')) {
      in = c == '"' ? In::Basic : In::Literal;
      multi = starts(c == '"' ? "\"\"\"" : "'''");
      size_t q = multi ? 3 : 1;
      out.append(text, i, q);
      i += q;
      continue;
    } else if (in == In::Basic && c == '\\' && i + 1 < n && static_cast<unsigned char>(text[i + 1]) < 0x80) {
      if (text[i + 1] == '\n') ++line;
      out.append(text, i, 2);
      i += 2;
      continue;
    } else if ((in == In::Basic && (multi ? starts("\"\"\"") : c == '"')) ||
               (in == In::Literal && (multi ? starts("'''") : c == '\''))) {
      size_t q = multi ? 3 : 1;
      // A multi-line string may end with up to two more quotes of its kind ("a""""" is `a""`).
      while (multi && q < 5 && i + q < n && text[i + q] == c) ++q;
      out.append(text, i, q);
      i += q;
      in = In::Outside;
      continue;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      unsigned char b0 = static_cast<unsigned char>(c);
      size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1;
      char32_t cp = len == 4 ? b0 & 0x07 : len == 3 ? b0 & 0x0F : b0 & 0x1F;
      bool valid = len > 1 && i + len <= n;
      for (size_t k = 1; valid && k < len; ++k) {
        unsigned char bk = static_cast<unsigned char>(text[i + k]);
        valid = (bk & 0xC0) == 0x80;
        cp = (cp << 6) | (bk & 0x3F);
      }
      if (in == In::Outside) return std::to_string(line) + ": non-ASCII text outside a string or comment";
      if (valid && toml_unsafe_code_point(cp)) {
        if (in == In::Literal)
          return std::to_string(line) + ": this character is not supported in a literal ('...') string; use \"...\"";
        if (in == In::Comment) {
          out += '?';
        } else {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04X", static_cast<unsigned>(cp));
          out += esc;
        }
        i += len;
        continue;
      }
      // Any other byte (valid UTF-8 toml++ handles, or invalid UTF-8 it rejects) goes through as is.
    }
    out += c;
    ++i;
  }
  text = std::move(out);
  return "";
}

// Control characters as \xNN: messages quote keys, values and toml++'s descriptions, which may hold
// a newline or a NUL, and every error must stay one line.
inline std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02X", u);
      out += b;
    } else {
      out += c;
    }
  }
  return out;
}

// "FILE:LINE: description" of a toml++ syntax error.
inline std::string describe_parse_error(const std::string& file, const toml::parse_error& e) {
  return one_line(file + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
}

struct TomlError {
  std::string message;
};

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void error(const toml::node* n, const std::string& path, const std::string& what) const {
    std::string where = file_;
    if (n && n->source().begin.line) where += ":" + std::to_string(n->source().begin.line);
    throw TomlError{one_line(where + ": " + (path.empty() ? std::string() : path + ": ") + what)};
  }
  [[noreturn]] void error_line(uint32_t line, const std::string& path, const std::string& what) const {
    throw TomlError{one_line(file_ + ":" + std::to_string(line) + ": " + (path.empty() ? std::string() : path + ": ") + what)};
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

  // Reads and parses the file (toml::parse_error on a syntax error, TomlError otherwise).
  toml::table parse() const {
    std::FILE* f = std::fopen(file_.c_str(), "rb");
    if (!f) throw TomlError{file_ + ": cannot read: " + std::strerror(errno)};
    std::string text;
    char buf[65536];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
    bool failed = std::ferror(f);
    std::fclose(f);
    if (failed) throw TomlError{file_ + ": cannot read"};
    if (std::string why = make_toml_safe(text); !why.empty()) throw TomlError{one_line(file_ + ":" + why)};
    return toml::parse(text, file_);
  }

 private:
  std::string file_;
};

}  // namespace wasipool::spin
