// The interpreter's internal form, shared by the compiler (compile.cpp) and the executor
// (execute.cpp). See docs/interpreter.md.
//
// A compiled function is an array of 64-bit words. An instruction is one word holding its handler's
// address (a GCC label address, resolved at compile time) followed by operand words. Operands are
// frame-slot numbers (32 bits, two per word) or immediates. Branch offsets are signed word counts
// relative to the branching instruction's first word, stored in the low 32 bits of an operand word.
//
// Owned by CompiledModule; immutable after compile(), so any number of stores may run it at once.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "../ir/module.h"

namespace wasipool::interp {

// Two binary operations in a row where the second consumes the first's result (an operand-stack
// temporary nobody else reads): [dst|a][b|c], t = a OP1 b, then FI32/FF64: dst = t OP2 c, RF64:
// dst = c OP2 t (the float forms are never swapped, so NaN operand order stays exactly as written).
// Rows are OP1, columns OP2; compile.cpp computes the Op from the two indices.
#define WASIPOOL_INTERP_FUSED_I32_ROW(X, A)                                        \
  X(A, Add) X(A, Sub) X(A, Mul) X(A, And) X(A, Or) X(A, Xor) X(A, Shl) X(A, ShrS) X(A, ShrU) X(A, Rotl)
#define WASIPOOL_INTERP_FUSED_I32(X)                                               \
  WASIPOOL_INTERP_FUSED_I32_ROW(X, Add) WASIPOOL_INTERP_FUSED_I32_ROW(X, Sub)      \
  WASIPOOL_INTERP_FUSED_I32_ROW(X, Mul) WASIPOOL_INTERP_FUSED_I32_ROW(X, And)      \
  WASIPOOL_INTERP_FUSED_I32_ROW(X, Or) WASIPOOL_INTERP_FUSED_I32_ROW(X, Xor)       \
  WASIPOOL_INTERP_FUSED_I32_ROW(X, Shl) WASIPOOL_INTERP_FUSED_I32_ROW(X, ShrS)     \
  WASIPOOL_INTERP_FUSED_I32_ROW(X, ShrU) WASIPOOL_INTERP_FUSED_I32_ROW(X, Rotl)
constexpr int kFusedI32 = 10;
#define WASIPOOL_INTERP_FUSED_F64_ROW(X, A) X(A, Add) X(A, Sub) X(A, Mul) X(A, Div)
#define WASIPOOL_INTERP_FUSED_F64(X)                                               \
  WASIPOOL_INTERP_FUSED_F64_ROW(X, Add) WASIPOOL_INTERP_FUSED_F64_ROW(X, Sub)      \
  WASIPOOL_INTERP_FUSED_F64_ROW(X, Mul) WASIPOOL_INTERP_FUSED_F64_ROW(X, Div)
constexpr int kFusedF64 = 4;

// Internal opcodes: every wasm opcode (same names, numeric ones are implemented 1:1 with slot
// operands; control ones are never emitted), then the interpreter's own instructions.
enum class Op : uint16_t {
#define WASIPOOL_OPCODE(Name, Prefix, Code, Text, ImmK, SigK, Align) Name,
#include "../ir/opcodes.def"
#undef WASIPOOL_OPCODE
// Conditional branches. BrNez/BrEqz (i32) and BrI64Nez/BrI64Eqz: [off|cond]; fused
// compare-and-branch: [off] [a|b], jump if a <op> b. Float compares have no exact complement (NaN),
// so they are fused only where the branch is taken on true.
#define WASIPOOL_INTERP_CONDBR(X)                                                  \
  X(BrNez) X(BrEqz) X(BrI64Nez) X(BrI64Eqz)                                        \
  X(BrI32Eq) X(BrI32Ne) X(BrI32LtS) X(BrI32LtU) X(BrI32GtS) X(BrI32GtU)            \
  X(BrI32LeS) X(BrI32LeU) X(BrI32GeS) X(BrI32GeU)                                  \
  X(BrI64Eq) X(BrI64Ne) X(BrI64LtS) X(BrI64LtU) X(BrI64GtS) X(BrI64GtU)            \
  X(BrI64LeS) X(BrI64LeU) X(BrI64GeS) X(BrI64GeU)                                  \
  X(BrF32Eq) X(BrF32Ne) X(BrF32Lt) X(BrF32Gt) X(BrF32Le) X(BrF32Ge)                \
  X(BrF64Eq) X(BrF64Ne) X(BrF64Lt) X(BrF64Gt) X(BrF64Le) X(BrF64Ge)
#define WASIPOOL_INTERP_CONDBR_BACK(X)                                             \
  X(BrNezBack) X(BrEqzBack) X(BrI64NezBack) X(BrI64EqzBack)                        \
  X(BrI32EqBack) X(BrI32NeBack) X(BrI32LtSBack) X(BrI32LtUBack) X(BrI32GtSBack) X(BrI32GtUBack) \
  X(BrI32LeSBack) X(BrI32LeUBack) X(BrI32GeSBack) X(BrI32GeUBack)                  \
  X(BrI64EqBack) X(BrI64NeBack) X(BrI64LtSBack) X(BrI64LtUBack) X(BrI64GtSBack) X(BrI64GtUBack) \
  X(BrI64LeSBack) X(BrI64LeUBack) X(BrI64GeSBack) X(BrI64GeUBack)                  \
  X(BrF32EqBack) X(BrF32NeBack) X(BrF32LtBack) X(BrF32GtBack) X(BrF32LeBack) X(BrF32GeBack) \
  X(BrF64EqBack) X(BrF64NeBack) X(BrF64LtBack) X(BrF64GtBack) X(BrF64LeBack) X(BrF64GeBack)
#define WASIPOOL_INTERP_OPS(X)                                                     \
  X(Copy)        /* [dst|src]                         */                           \
  X(Copy2)       /* [dst|src] [dst|src]  two copies   */                           \
  X(Copy3)       /* three, in order                   */                           \
  X(Copy4)       /* four, in order                    */                           \
  X(Jump)        /* [off]                             */                           \
  X(BrCopy1)     /* [off] [src|dst]                   */                           \
  X(BrCopyN)     /* [off] [src|dst] [n]               */                           \
  WASIPOOL_INTERP_CONDBR(X)                                                        \
  /* the same, for branches back to a loop header: they also check for interruption */ \
  WASIPOOL_INTERP_CONDBR_BACK(X)                                                   \
  X(JumpBack)    /* [off]  a backward jump (checks for interruption) */           \
  /* load with a fused i32.add address: [dst|a][b|offset], address = u32(a + b) + offset */ \
  X(AddI32Load) X(AddI64Load) X(AddF32Load) X(AddF64Load) X(AddI32Load8S) X(AddI32Load8U) \
  X(AddI32Load16S) X(AddI32Load16U) X(AddI64Load8S) X(AddI64Load8U) X(AddI64Load16S) \
  X(AddI64Load16U) X(AddI64Load32S) X(AddI64Load32U)                               \
  /* store with a fused i32.add address: [a|b][value|offset] */                   \
  X(AddI32Store) X(AddI64Store) X(AddF32Store) X(AddF64Store) X(AddI32Store8)      \
  X(AddI32Store16) X(AddI64Store8) X(AddI64Store16) X(AddI64Store32)               \
  X(BrTableOp)   /* [idx|n] [src|count] then count+1 words [off|dst] */           \
  X(Ret0)        /* [hdr]                             */                           \
  X(Ret1)        /* [hdr|src]                         */                           \
  X(RetN)        /* [hdr|src] [n]                     */                           \
  X(CallOp)      /* [func|args]                       */                           \
  X(CallIndirectOp) /* [table|type] [idx|args]        */                           \
  X(SelectOp)    /* [dst|a] [b|cond]                  */                           \
  /* a load feeding a store of the same width: [da|db][sa|sb][doff|soff], both addresses   \
     u32(x + y) + offset, source checked first (the load would trap first) */           \
  X(MemCopy1) X(MemCopy2) X(MemCopy4) X(MemCopy8)

#define WASIPOOL_X(Name) Name,
  WASIPOOL_INTERP_OPS(WASIPOOL_X)
#undef WASIPOOL_X
#define WASIPOOL_X2(A, B) FI32##A##_##B,
  WASIPOOL_INTERP_FUSED_I32(WASIPOOL_X2)
#undef WASIPOOL_X2
#define WASIPOOL_X2(A, B) FF64##A##_##B,
  WASIPOOL_INTERP_FUSED_F64(WASIPOOL_X2)
#undef WASIPOOL_X2
#define WASIPOOL_X2(A, B) RF64##A##_##B,
  WASIPOOL_INTERP_FUSED_F64(WASIPOOL_X2)
#undef WASIPOOL_X2
  kCount
};

// The fused forms mirror the opcode table's order of loads and stores (compile.cpp relies on it).
static_assert(static_cast<int>(Op::AddI64Load32U) - static_cast<int>(Op::AddI32Load) ==
              static_cast<int>(Op::I64Load32U) - static_cast<int>(Op::I32Load));
static_assert(static_cast<int>(Op::AddI64Store32) - static_cast<int>(Op::AddI32Store) ==
              static_cast<int>(Op::I64Store32) - static_cast<int>(Op::I32Store));
static_assert(static_cast<int>(Op::BrF64GeBack) - static_cast<int>(Op::BrNezBack) ==
              static_cast<int>(Op::BrF64Ge) - static_cast<int>(Op::BrNez));

static_assert(static_cast<int>(Op::kCount) - static_cast<int>(Op::FI32Add_Add) ==
              kFusedI32 * kFusedI32 + 2 * kFusedF64 * kFusedF64);

// The backward form of a conditional branch (same operands).
inline Op back_of(Op op) {
  return static_cast<Op>(static_cast<uint16_t>(op) - static_cast<uint16_t>(Op::BrNez) +
                         static_cast<uint16_t>(Op::BrNezBack));
}

// Frame layout (slot numbers relative to the frame pointer):
//   [0, num_params)                 parameters (the caller's argument slots, reused in place)
//   [hdr, hdr + kHeaderSlots)       call header: return pc, caller frame offset, caller FuncInst*
//   [hdr + 3, ...)                  declared locals, then constants (initialised from `init`)
//   [stack_base, frame_size)        the operand stack, position p at stack_base + p
constexpr uint32_t kHeaderSlots = 3;

struct CompiledModule;

// One function's compiled form. Compiled lazily, on its first call (a module is loaded once but a
// program usually runs a fraction of its functions): `entry` is null until then, and is published
// with release order after every other field is written, so a reader that sees it non-null (acquire)
// sees the complete function. Any number of threads may race to the first call; one compiles.
struct CompiledFunc {
  // What a call reads, together at the front.
  mutable std::atomic<const uint64_t*> entry{nullptr};  // code.data() once compiled
  mutable const uint64_t* init_data = nullptr;  // == init.data()
  mutable uint32_t init_count = 0;              // == init.size()
  mutable uint32_t frame_size = 0;      // slots, including the operand stack at its maximum height
  uint32_t hdr = 0;                     // == num_params
  mutable std::vector<uint64_t> code;
  mutable std::vector<uint64_t> init;   // zeroed locals followed by the constants, copied in at entry
  uint32_t func_index = 0;              // in the module's function index space (for backtraces)
  uint32_t defined_index = 0;
  uint32_t num_params = 0;
  uint32_t num_results = 0;
  CompiledModule* owner = nullptr;
};

struct CompiledModule {
  const ir::Module* module = nullptr;   // owned by the LoadedModule that also owns this
  const ir::ConstantTable* constants = nullptr;  // likewise; null: each body is scanned for them first
  const void* const* handlers = nullptr;
  std::deque<CompiledFunc> funcs;       // by defined-function index (deque: atomics do not move)
  std::mutex compile_mutex;             // serialises first-call compilation
};

// Compiles `f` if no thread has yet; returns its entry, or null when the function exceeds the
// interpreter's limits (the caller traps).
const uint64_t* ensure_compiled(const CompiledFunc& f);

// The handler address table, indexed by Op (filled by the executor; see execute.cpp).
const void* const* handler_table();

}  // namespace wasipool::interp
