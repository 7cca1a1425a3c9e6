// Owned by: spectest. Script values: parse wast2json's value objects, compare engine results with
// them (bit-exact floats, NaN classes, references), and format both for failure messages.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "spectest_script.h"

namespace wasipool::cli::spectest {
namespace {

using engine::ValType;

std::optional<ValType> parse_type(const std::string& t) {
  if (t == "i32") return ValType::I32;
  if (t == "i64") return ValType::I64;
  if (t == "f32") return ValType::F32;
  if (t == "f64") return ValType::F64;
  if (t == "funcref") return ValType::FuncRef;
  if (t == "externref") return ValType::ExternRef;
  return std::nullopt;
}

// Unsigned decimal as wast2json writes it; rejects junk and anything wider than `bits`.
std::optional<uint64_t> parse_unsigned(const std::string& s, unsigned width) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  if (width < 64 && v >> width) return std::nullopt;
  return v;
}

std::string format_float_bits(ValType t, uint64_t bits) {
  char buf[96];
  if (t == ValType::F32) {
    uint32_t b = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, 4);
    std::snprintf(buf, sizeof buf, "f32:%.9g (0x%08" PRIx32 ")", static_cast<double>(f), b);
  } else {
    double d;
    std::memcpy(&d, &bits, 8);
    std::snprintf(buf, sizeof buf, "f64:%.17g (0x%016" PRIx64 ")", d, bits);
  }
  return buf;
}

std::string format_bits(ValType t, uint64_t bits) {
  char buf[64];
  switch (t) {
    case ValType::I32:
      std::snprintf(buf, sizeof buf, "i32:%" PRIu32 " (0x%" PRIx32 ")", static_cast<uint32_t>(bits),
                    static_cast<uint32_t>(bits));
      return buf;
    case ValType::I64:
      std::snprintf(buf, sizeof buf, "i64:%" PRIu64 " (0x%" PRIx64 ")", bits, bits);
      return buf;
    case ValType::F32:
    case ValType::F64:
      return format_float_bits(t, bits);
    case ValType::ExternRef:
      if (bits == 0) return "externref:null";
      // Undo the +1 applied on the way in, so messages show the script's number.
      std::snprintf(buf, sizeof buf, "externref:%" PRIu64, bits - 1);
      return buf;
    case ValType::FuncRef:
      if (bits == 0) return "funcref:null";
      std::snprintf(buf, sizeof buf, "funcref:0x%" PRIx64, bits);
      return buf;
    case ValType::V128:
      return "v128:?";
  }
  return "?";
}

}  // namespace

std::optional<ScriptValue> parse_value(const nlohmann::json& j, std::string* error) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    *error = "value without a type";
    return std::nullopt;
  }
  const std::string tname = j["type"].get<std::string>();
  auto type = parse_type(tname);
  if (!type) {
    *error = "unsupported value type " + tname;
    return std::nullopt;
  }
  ScriptValue v;
  v.type = *type;
  if (!j.contains("value")) {
    // wast2json omits the value for `(ref.func)` / `(ref.extern)` patterns without an index, and for
    // the expected results of assert_trap (which are never compared).
    if (ir::is_ref(*type)) {
      v.pattern = ScriptValue::Pattern::AnyNonNullRef;
      return v;
    }
    *error = "value of type " + tname + " without a value";
    return std::nullopt;
  }
  if (!j["value"].is_string()) {
    *error = "value of type " + tname + " is not a string";
    return std::nullopt;
  }
  const std::string s = j["value"].get<std::string>();
  switch (*type) {
    case ValType::F32:
    case ValType::F64:
      if (s == "nan:canonical") {
        v.pattern = ScriptValue::Pattern::CanonicalNan;
        return v;
      }
      if (s == "nan:arithmetic") {
        v.pattern = ScriptValue::Pattern::ArithmeticNan;
        return v;
      }
      [[fallthrough]];
    case ValType::I32:
    case ValType::I64: {
      unsigned width = (*type == ValType::I32 || *type == ValType::F32) ? 32 : 64;
      auto bits = parse_unsigned(s, width);
      if (!bits) break;
      v.bits = *bits;
      return v;
    }
    case ValType::ExternRef:
    case ValType::FuncRef: {
      if (s == "null") return v;  // bits 0 = null
      auto n = parse_unsigned(s, 64);
      if (!n || *n == UINT64_MAX) break;
      // Host values for externref are N+1: the engine reserves 0 for null, but `ref.extern 0` is a
      // perfectly good non-null reference in the scripts.
      v.bits = *n + 1;
      return v;
    }
    case ValType::V128:
      break;
  }
  *error = "bad " + tname + " value '" + s + "'";
  return std::nullopt;
}

engine::Value to_engine_value(const ScriptValue& v) { return engine::Value{v.type, v.bits}; }

bool matches(const ScriptValue& want, const engine::Value& got) {
  if (want.type != got.type) return false;
  switch (want.pattern) {
    case ScriptValue::Pattern::Exact:
      if (want.type == ValType::I32 || want.type == ValType::F32)
        return static_cast<uint32_t>(want.bits) == static_cast<uint32_t>(got.bits);
      return want.bits == got.bits;
    case ScriptValue::Pattern::CanonicalNan:
      // Canonical NaN: exponent all ones, payload exactly the quiet bit, either sign.
      if (want.type == ValType::F32) return (got.bits & 0x7fffffffu) == 0x7fc00000u;
      return (got.bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
    case ScriptValue::Pattern::ArithmeticNan:
      // Arithmetic NaN: exponent all ones and the quiet bit set; other payload bits and sign free.
      if (want.type == ValType::F32) return (got.bits & 0x7fc00000u) == 0x7fc00000u;
      return (got.bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    case ScriptValue::Pattern::AnyNonNullRef:
      return got.bits != 0;
  }
  return false;
}

std::string format(const ScriptValue& v) {
  switch (v.pattern) {
    case ScriptValue::Pattern::Exact: return format_bits(v.type, v.bits);
    case ScriptValue::Pattern::CanonicalNan: return std::string(ir::name_of(v.type)) + ":nan:canonical";
    case ScriptValue::Pattern::ArithmeticNan: return std::string(ir::name_of(v.type)) + ":nan:arithmetic";
    case ScriptValue::Pattern::AnyNonNullRef: return std::string(ir::name_of(v.type)) + ":non-null";
  }
  return "?";
}

std::string format(const engine::Value& v) { return format_bits(v.type, v.bits); }

std::string format_values(const std::vector<engine::Value>& vs) {
  std::string out = "(";
  for (size_t i = 0; i < vs.size(); ++i) {
    if (i) out += ", ";
    out += format(vs[i]);
  }
  return out + ")";
}

bool trap_matches(const engine::Trap& trap, const std::string& expected_text) {
  auto prefix_either_way = [&](std::string_view a) {
    std::string_view b = expected_text;
    if (a.empty()) return false;
    return a.substr(0, b.size()) == b || b.substr(0, a.size()) == a;
  };
  // The kind decides; the message is only consulted for host traps, whose kind says nothing.
  if (trap.kind == engine::TrapKind::Host) return prefix_either_way(trap.message);
  return prefix_either_way(engine::default_message(trap.kind));
}

}  // namespace wasipool::cli::spectest
