// Constant expressions (global initialisers, segment offsets, element expressions). The validator has
// already checked types and that only constant instructions occur, so evaluation cannot fail.
#include "runtime.h"

namespace wasipool::runtime {

uint64_t eval_const(const ir::ConstExpr& expr, const InstanceData& inst) {
  // A tiny value stack: 2.0 expressions hold one instruction; the extended-const forms (add/sub/mul)
  // are evaluated too, in case the validator admits them.
  uint64_t stack[16];
  size_t sp = 0;
  for (const ir::ConstInstr& in : expr.instrs) {
    uint64_t v = 0;
    switch (in.op) {
      case ir::Opcode::I32Const: v = static_cast<uint32_t>(in.imm); break;  // slots hold i32 zero-extended
      case ir::Opcode::I64Const:
      case ir::Opcode::F32Const:
      case ir::Opcode::F64Const: v = in.imm; break;
      case ir::Opcode::RefNull: v = 0; break;
      case ir::Opcode::RefFunc: v = func_ref(inst.funcs[in.imm]); break;
      case ir::Opcode::GlobalGet: v = inst.globals[in.imm]->value; break;
      case ir::Opcode::I32Add:
      case ir::Opcode::I32Sub:
      case ir::Opcode::I32Mul:
      case ir::Opcode::I64Add:
      case ir::Opcode::I64Sub:
      case ir::Opcode::I64Mul: {
        if (sp < 2) return 0;
        uint64_t b = stack[--sp], a = stack[--sp];
        switch (in.op) {
          case ir::Opcode::I32Add: v = static_cast<uint32_t>(a + b); break;
          case ir::Opcode::I32Sub: v = static_cast<uint32_t>(a - b); break;
          case ir::Opcode::I32Mul: v = static_cast<uint32_t>(a * b); break;
          case ir::Opcode::I64Add: v = a + b; break;
          case ir::Opcode::I64Sub: v = a - b; break;
          default: v = a * b; break;
        }
        break;
      }
      default: return 0;  // unreachable for validated modules
    }
    if (sp == sizeof stack / sizeof stack[0]) return 0;
    stack[sp++] = v;
  }
  return sp ? stack[sp - 1] : 0;
}

}  // namespace wasipool::runtime
