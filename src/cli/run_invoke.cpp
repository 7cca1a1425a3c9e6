// `wasipool run --invoke`: command-line text <-> typed wasm values (owner: run).
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "run_options.h"

namespace wasipool::cli::run {

namespace {

// Integer text: optional sign, decimal or 0x-hex. Accepts the signed and the unsigned range of the
// width (so both -1 and 4294967295 mean the i32 with all bits set), rejects anything that wraps.
std::optional<uint64_t> parse_int(std::string_view text, unsigned bits) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  uint64_t umax = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
  uint64_t neg_limit = 1ull << (bits - 1);  // |INT_MIN|
  if (negative) {
    if (magnitude > neg_limit) return std::nullopt;
    return (0 - magnitude) & umax;
  }
  if (magnitude > umax) return std::nullopt;
  return magnitude;
}

template <class F>
std::optional<F> parse_float(std::string_view text) {
  std::string s(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  F v;
  if constexpr (sizeof(F) == 4) v = std::strtof(s.c_str(), &end);
  else v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

// Rust's `Display` for floats, which wasmtime uses: "NaN", "inf", "-inf", otherwise the shortest
// digits that round-trip, in plain positional notation ("1", "0.1", "-0", "100000000000000000000").
template <class F>
std::string format_float(F v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

}  // namespace

Result<engine::Value, std::string> parse_value(std::string_view text, engine::ValType type) {
  using engine::Value;
  using engine::ValType;
  auto bad = [&](const char* what) {
    return fail("invalid " + std::string(what) + " argument '" + std::string(text) + "'");
  };
  switch (type) {
    case ValType::I32: {
      auto v = parse_int(text, 32);
      if (!v) return bad("i32");
      return Value::i32(static_cast<uint32_t>(*v));
    }
    case ValType::I64: {
      auto v = parse_int(text, 64);
      if (!v) return bad("i64");
      return Value::i64(*v);
    }
    case ValType::F32: {
      auto v = parse_float<float>(text);
      if (!v) return bad("f32");
      return Value::f32(*v);
    }
    case ValType::F64: {
      auto v = parse_float<double>(text);
      if (!v) return bad("f64");
      return Value::f64(*v);
    }
    case ValType::FuncRef:
    case ValType::ExternRef:
      if (text == "null") return Value::null(type);
      return bad(type == ValType::FuncRef ? "funcref (only 'null' can be given)"
                                          : "externref (only 'null' can be given)");
    case ValType::V128:
      break;
  }
  return fail("cannot pass a " + std::string(ir::name_of(type)) + " argument from the command line");
}

std::string format_value(const engine::Value& v) {
  using engine::ValType;
  switch (v.type) {
    case ValType::I32: return std::to_string(v.as_i32());
    case ValType::I64: return std::to_string(v.as_i64());
    case ValType::F32: return format_float(v.as_f32());
    case ValType::F64: return format_float(v.as_f64());
    case ValType::FuncRef: return v.is_null() ? "<null funcref>" : "<funcref>";
    case ValType::ExternRef: return v.is_null() ? "<null externref>" : "<externref>";
    case ValType::V128: break;
  }
  return "<v128>";
}

}  // namespace wasipool::cli::run
