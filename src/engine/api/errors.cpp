// Names and texts of the API's small enums, and value printing.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "wasipool/engine.h"

namespace wasipool::engine {

const char* name_of(ErrorKind k) {
  switch (k) {
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Unlinkable: return "unlinkable";
    case ErrorKind::Uninstantiable: return "uninstantiable";
    case ErrorKind::Limit: return "limit";
    case ErrorKind::Io: return "io";
  }
  return "?";
}

// The spec test suite's texts, so assert_trap messages match.
const char* default_message(TrapKind k) {
  switch (k) {
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::UndefinedElement: return "undefined element";
    case TrapKind::UninitializedElement: return "uninitialized element";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::InvalidConversion: return "invalid conversion to integer";
    case TrapKind::CallStackExhausted: return "call stack exhausted";
    case TrapKind::Interrupted: return "interrupted";
    case TrapKind::Exit: return "exit";
    case TrapKind::Host: return "host error";
  }
  return "?";
}

namespace {
template <class F>
std::string float_text(F f, uint64_t bits) {
  if (std::isnan(f)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "nan:0x%llx", static_cast<unsigned long long>(bits));
    return buf;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f);  // shortest text that round-trips
  return std::string(buf, r.ptr);
}

std::string ref_text(uint64_t bits) {
  if (bits == 0) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(bits));
  return buf;
}
}  // namespace

std::string to_string(const Value& v) {
  std::string s = ir::name_of(v.type);
  s += ':';
  switch (v.type) {
    case ValType::I32: return s + std::to_string(v.as_u32());
    case ValType::I64: return s + std::to_string(v.as_u64());
    case ValType::F32: return s + float_text(v.as_f32(), v.as_u32());
    case ValType::F64: return s + float_text(v.as_f64(), v.as_u64());
    case ValType::FuncRef:
    case ValType::ExternRef: return s + ref_text(v.bits);
    case ValType::V128: return s + "?";
  }
  return s;
}

}  // namespace wasipool::engine
