// Owned by: spectest. Internal to `wasipool spectest` (src/cli/spectest*.cpp); not used elsewhere.
//
// The pieces of the spec-test driver that do not depend on the command loop: script values as
// wast2json writes them (parsing, formatting, comparing), trap-text matching, and the standard
// `spectest` host module. Everything goes through the embedding API (wasipool/engine.h) only, so the
// driver tests exactly what the CLI, WASI and the hosts use.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "wasipool/engine.h"

namespace wasipool::cli::spectest {

// A value as the script states it: either an argument (always concrete) or an expected result,
// which may instead be a NaN class or "any non-null reference".
struct ScriptValue {
  enum class Pattern : uint8_t { Exact, CanonicalNan, ArithmeticNan, AnyNonNullRef };
  engine::ValType type = engine::ValType::I32;
  Pattern pattern = Pattern::Exact;
  uint64_t bits = 0;  // engine::Value::bits for Exact
};

// Parses {"type": "i32", "value": "42"}. Numbers are the unsigned decimal of the raw bits (floats
// included, so NaN payloads are exact); externref N maps to host value N+1 so `ref.extern 0` is not
// null; "null" is the null reference. Returns an error text for anything else (e.g. v128).
std::optional<ScriptValue> parse_value(const nlohmann::json& j, std::string* error);

// The engine value for an argument (only Exact patterns are valid arguments).
engine::Value to_engine_value(const ScriptValue& v);

// True when `got` satisfies `want`: same type, bit-exact for numbers (f32/f64 compared as bits, so
// -0.0 != +0.0 and NaN payloads matter), NaN classes per the spec (canonical: only the quiet bit set
// in the payload; arithmetic: quiet bit set, any payload, any sign).
bool matches(const ScriptValue& want, const engine::Value& got);

// "i32:42", "f32:1.5 (0x3fc00000)", "f64:nan:canonical", "externref:3", "funcref:null".
std::string format(const ScriptValue& v);
std::string format(const engine::Value& v);
std::string format_values(const std::vector<engine::Value>& vs);

// Does the engine's trap correspond to the text the script expects? The script's text is compared
// by prefix, in either direction, against the trap's own message and the spec text of its kind: the
// reference interpreter appends details ("uninitialized element 2") that an engine need not produce.
bool trap_matches(const engine::Trap& trap, const std::string& expected_text);

// Defines the standard `spectest` module on `linker`: print functions (silent unless `verbose`),
// global_i32/i64/f32/f64 (666 / 666.6), table (10..20 funcref) and memory (1..2 pages). The table,
// memory and globals are created in `store`, so the linker is only valid for that store.
// Returns an error text if the store refused to create one of them.
std::optional<std::string> define_spectest_module(engine::Linker& linker, engine::Store& store,
                                                  bool verbose);

}  // namespace wasipool::cli::spectest
