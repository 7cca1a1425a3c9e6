// Internal to validate/: what module-level validation hands to the function and constant-expression
// validators (the spec's context C), plus error formatting. Borrowed views only; lives for one
// validate() call on one thread.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../api/wasipool/engine.h"
#include "../ir/module.h"

namespace wasipool::validate {

struct Context {
  const ir::Module& module;
  // C.refs: functions named by ref.func outside function bodies (segments, global inits) or by an
  // export. Only these may be the target of ref.func inside a body.
  std::vector<bool> declared_funcs;
  ir::ConstantTable* constants = nullptr;  // filled by the body validator when set
};

// "<reason> at offset 0x<hex>: <detail>" (the detail is omitted when empty).
engine::Error make_invalid(const std::string& reason, uint32_t offset, const std::string& detail,
                           engine::ErrorKind kind = engine::ErrorKind::Invalid);
// "unknown <what> <index>", the spec tests' wording for an index out of range.
std::string unknown(const char* what, uint64_t index);
// "(module has <count>)".
std::string has_count(uint64_t count);
// Module-level error without a byte offset (the IR keeps none for imports, exports, ...).
engine::Error make_invalid_here(const std::string& reason, const std::string& detail);

// Constant expression (spec 3.3.10): only t.const, ref.null, ref.func and global.get of an imported
// immutable global, leaving exactly one value of type `expected`.
Result<Ok, engine::Error> validate_const_expr(const Context& ctx, const ir::ConstExpr& expr,
                                              ir::ValType expected);

// Every defined function body. Malformed encodings found while walking a body are reported with
// ErrorKind::Malformed (the decoder leaves bodies unread), unsupported opcodes as Unsupported.
Result<Ok, engine::Error> validate_functions(const Context& ctx);

}  // namespace wasipool::validate
