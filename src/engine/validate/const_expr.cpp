// Constant expressions (spec 3.3.10) and the shared error formatting of validate/.
#include <cstdio>

#include "context.h"

namespace wasipool::validate {

engine::Error make_invalid(const std::string& reason, uint32_t offset, const std::string& detail,
                           engine::ErrorKind kind) {
  char where[32];
  std::snprintf(where, sizeof where, " at offset 0x%x", offset);
  std::string msg = reason + where;
  if (!detail.empty()) msg += ": " + detail;
  return engine::Error{kind, std::move(msg)};
}

engine::Error make_invalid_here(const std::string& reason, const std::string& detail) {
  std::string msg = reason;
  if (!detail.empty()) msg += ": " + detail;
  return engine::Error{engine::ErrorKind::Invalid, std::move(msg)};
}

std::string unknown(const char* what, uint64_t index) {
  return std::string("unknown ") + what + " " + std::to_string(index);
}
std::string has_count(uint64_t count) { return "module has " + std::to_string(count); }

Result<Ok, engine::Error> validate_const_expr(const Context& ctx, const ir::ConstExpr& expr,
                                              ir::ValType expected) {
  const ir::Module& m = ctx.module;
  // Every allowed instruction pushes one value and pops none, so the stack is just a count and the
  // type of the last value pushed.
  uint32_t depth = 0;
  ir::ValType top = expected;
  for (const ir::ConstInstr& in : expr.instrs) {
    switch (in.op) {
      case ir::Opcode::I32Const: top = ir::ValType::I32; break;
      case ir::Opcode::I64Const: top = ir::ValType::I64; break;
      case ir::Opcode::F32Const: top = ir::ValType::F32; break;
      case ir::Opcode::F64Const: top = ir::ValType::F64; break;
      case ir::Opcode::RefNull: top = in.ref_type; break;
      case ir::Opcode::RefFunc:
        if (in.imm >= m.total_funcs())
          return fail(make_invalid(unknown("function", in.imm), in.offset, has_count(m.total_funcs())));
        top = ir::ValType::FuncRef;
        break;
      case ir::Opcode::GlobalGet: {
        // Only imported globals are visible here: defined globals are not initialised yet when
        // constant expressions run (spec 3.4.10, context C').
        if (in.imm >= m.num_imported_globals)
          return fail(make_invalid(unknown("global", in.imm), in.offset,
                                   "constant expressions see imported globals only"));
        const ir::GlobalType& g = m.global_types[in.imm];
        if (g.is_mutable)
          return fail(make_invalid("constant expression required", in.offset,
                                   "global.get of a mutable global"));
        top = g.type;
        break;
      }
      default:
        return fail(make_invalid("constant expression required", in.offset,
                                 std::string(ir::name_of(in.op)) + " is not constant"));
    }
    ++depth;
  }
  if (depth != 1 || top != expected) {
    std::string got = depth == 0 ? "nothing" : depth == 1 ? ir::name_of(top)
                                                          : std::to_string(depth) + " values";
    return fail(make_invalid("type mismatch", expr.offset,
                             std::string("constant expression: expected ") +
                                 ir::name_of(expected) + ", got " + got));
  }
  return Ok{};
}

}  // namespace wasipool::validate
