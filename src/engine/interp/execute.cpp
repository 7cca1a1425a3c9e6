// The interpreter's executor: threaded dispatch over the register code of code.h (GCC computed goto,
// `goto *pc[0]`), an explicit frame stack in ExecState::stack (wasm calls never recurse natively), and
// traps returned as values. See docs/interpreter.md.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <exception>
#ifdef WASIPOOL_INTERP_PROFILE
#include <cstdio>
#include <map>
#endif
#include <span>
#include <string>

#include "../runtime/objects.h"
#include "code.h"
#include "interp.h"
#include "numeric.h"

namespace wasipool::interp {
namespace {

using engine::TrapKind;
using runtime::FuncInst;
using runtime::GlobalInst;
using runtime::InstanceData;
using runtime::MemoryInst;
using runtime::StoreState;
using runtime::TableInst;

// Upper bound of the interpreter stack (slots). With max_call_depth it bounds the memory a runaway
// recursion can take: past it the guest traps "call stack exhausted" instead of exhausting the host.
constexpr size_t kMaxStackSlots = size_t{1} << 25;  // 256 MiB
// Small first allocation (16 KiB): every fresh store pays for these pages (zeroed by the vector) and most
// guests never go deep; the doubling growth above serves those that do.
constexpr size_t kInitialStackSlots = size_t{1} << 11;

inline uint32_t lo(uint64_t w) { return static_cast<uint32_t>(w); }
inline uint32_t hi(uint64_t w) { return static_cast<uint32_t>(w >> 32); }

// Grows `stack` so that `need` slots fit; false when that would pass the bound.
bool grow_stack(std::vector<uint64_t>& stack, size_t need) {
  if (need > kMaxStackSlots) return false;
  size_t n = std::max({need, stack.size() * 2, kInitialStackSlots});
  stack.resize(std::min(n, kMaxStackSlots));
  return true;
}

#ifdef WASIPOOL_INTERP_PROFILE
// Development aid only (never in a normal build): dynamic counts of instructions and pairs, printed
// at exit. Build execute.cpp with -DWASIPOOL_INTERP_PROFILE to find fusion candidates.
struct Profile {
  std::map<std::pair<int, int>, uint64_t> pairs;
  std::vector<uint64_t> ops = std::vector<uint64_t>(static_cast<size_t>(Op::kCount));
  std::map<const void*, int> index;
  int prev = -1;
  ~Profile() {
    static const char* names[] = {
#define WASIPOOL_OPCODE(Name, Prefix, Code, Text, ImmK, SigK, Align) #Name,
#include "../ir/opcodes.def"
#undef WASIPOOL_OPCODE
#define WASIPOOL_X(Name) #Name,
        WASIPOOL_INTERP_OPS(WASIPOOL_X)
#undef WASIPOOL_X
#define WASIPOOL_X2(A, B) "FI32" #A "_" #B,
        WASIPOOL_INTERP_FUSED_I32(WASIPOOL_X2)
#undef WASIPOOL_X2
#define WASIPOOL_X2(A, B) "FF64" #A "_" #B,
        WASIPOOL_INTERP_FUSED_F64(WASIPOOL_X2)
#undef WASIPOOL_X2
#define WASIPOOL_X2(A, B) "RF64" #A "_" #B,
        WASIPOOL_INTERP_FUSED_F64(WASIPOOL_X2)
#undef WASIPOOL_X2
    };
    std::vector<std::pair<uint64_t, int>> v;
    uint64_t total = 0;
    for (size_t i = 0; i < ops.size(); ++i) if (ops[i]) v.push_back({ops[i], int(i)}), total += ops[i];
    std::sort(v.rbegin(), v.rend());
    fprintf(stderr, "total %llu\n", (unsigned long long)total);
    for (size_t i = 0; i < v.size() && i < 40; ++i) fprintf(stderr, "%12llu %5.2f%% %s\n", (unsigned long long)v[i].first, 100.0 * v[i].first / total, names[v[i].second]);
    std::vector<std::pair<uint64_t, std::pair<int, int>>> pv;
    for (auto& [k, c] : pairs) pv.push_back({c, k});
    std::sort(pv.rbegin(), pv.rend());
    for (size_t i = 0; i < pv.size() && i < 40; ++i) fprintf(stderr, "%12llu %5.2f%% %s -> %s\n", (unsigned long long)pv[i].first, 100.0 * pv[i].first / total, names[pv[i].second.first], names[pv[i].second.second]);
  }
};
Profile g_profile;
void profile_hit(const void* const* labels, uint64_t h) {
  if (g_profile.index.empty())
    for (int i = 0; i < int(Op::kCount); ++i) g_profile.index.emplace(labels[i], i);
  auto it = g_profile.index.find(reinterpret_cast<const void*>(h));
  int op = it == g_profile.index.end() ? 0 : it->second;
  g_profile.ops[op]++;
  if (g_profile.prev >= 0) g_profile.pairs[{g_profile.prev, op}]++;
  g_profile.prev = op;
}
#endif

engine::Trap make_trap(TrapKind k) { return engine::Trap{k, engine::default_message(k), {}, 0}; }

// Calls host function `callee` with the arguments at stack[nfp_off..] and writes its results there.
// Kept out of `run` so the objects it owns (vectors, the HostResult) never share a scope with the
// threaded dispatch. A host function may call back into wasm: that call starts at `frame_end` (above
// the calling frame) and may move the stack, so only offsets are kept across the call.
__attribute__((noinline)) bool call_host(StoreState& store, FuncInst* callee, InstanceData* inst, size_t nfp_off,
                                         size_t frame_end, uint32_t depth, std::optional<engine::Trap>& trap) {
  runtime::ExecState& ex = store.exec;
  const ir::FuncType& ft = *callee->type;
  size_t np = ft.params.size(), nr = ft.results.size();
  uint64_t small_args[16], small_res[16];
  std::vector<uint64_t> big_args, big_res;
  uint64_t* args = small_args;
  uint64_t* res = small_res;
  if (np > 16) {
    big_args.resize(np);
    args = big_args.data();
  }
  if (nr > 16) {
    big_res.resize(nr);
    res = big_res.data();
  }
  std::copy(ex.stack.data() + nfp_off, ex.stack.data() + nfp_off + np, args);
  size_t saved_top = ex.stack_top;
  ex.stack_top = frame_end;
  ex.depth = depth;
  engine::Caller caller(store.owner, inst->handle.get());
  engine::HostResult hr;
  try {
    hr = (*callee->host)(caller, std::span<const uint64_t>(args, np), std::span<uint64_t>(res, nr));
  } catch (const std::exception& e) {
    hr = engine::Trap::host(std::string("host function threw: ") + e.what());
  } catch (...) {
    hr = engine::Trap::host("host function threw");
  }
  ex.stack_top = saved_top;
  if (hr) {
    trap = std::move(hr);
    return true;
  }
  std::copy(res, res + nr, ex.stack.data() + nfp_off);
  return false;
}

// Runs `entry`, whose frame is already set up at stack[base] (arguments, header, locals), to its
// return. With table_out set, only publishes the handler table.
std::optional<engine::Trap> run(StoreState* store, FuncInst* entry, size_t base, const void* const** table_out) {
  static const void* const kLabels[] = {
#define WASIPOOL_OPCODE(Name, Prefix, Code, Text, ImmK, SigK, Align) &&L_##Name,
#include "../ir/opcodes.def"
#undef WASIPOOL_OPCODE
#define WASIPOOL_X(Name) &&L_##Name,
      WASIPOOL_INTERP_OPS(WASIPOOL_X)
#undef WASIPOOL_X
#define WASIPOOL_X2(A, B) &&L_FI32##A##_##B,
      WASIPOOL_INTERP_FUSED_I32(WASIPOOL_X2)
#undef WASIPOOL_X2
#define WASIPOOL_X2(A, B) &&L_FF64##A##_##B,
      WASIPOOL_INTERP_FUSED_F64(WASIPOOL_X2)
#undef WASIPOOL_X2
#define WASIPOOL_X2(A, B) &&L_RF64##A##_##B,
      WASIPOOL_INTERP_FUSED_F64(WASIPOOL_X2)
#undef WASIPOOL_X2
  };
  static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == static_cast<size_t>(Op::kCount));
  if (table_out) {
    *table_out = kLabels;
    return std::nullopt;
  }

  runtime::ExecState& ex = store->exec;
  // Hot state, for the registers: pc, fp, the memory base and size.
  uint64_t* fp = ex.stack.data() + base;
  const uint64_t* pc = entry->code->entry.load(std::memory_order_acquire);  // compiled by invoke
  uint8_t* mbase = nullptr;
  uint64_t msize = 0;
  // Cold state lives in memory (its address escapes below), which leaves the registers to the hot
  // state in every handler.
  struct Cold {
    uint64_t* sbase;
    FuncInst* cur;
    uint32_t depth;
    uint64_t* send;
    InstanceData* inst;
    FuncInst* const* funcs;
    GlobalInst* const* globals;
    const uint32_t* type_ids;
    MemoryInst* mem;
    const std::atomic<uint32_t>* interrupt;
    uint32_t entry_depth;
    uint32_t max_depth;
    FuncInst* callee;  // call state shared by the call paths
    uint64_t* nfp;
    const uint64_t* ret_pc;
    const uint64_t* rhdr;
    TrapKind tk;
  } cold{};
  asm volatile("" : : "r"(&cold) : "memory");
  uint64_t*& sbase = cold.sbase;
  FuncInst*& cur = cold.cur;
  uint32_t& depth = cold.depth;
  sbase = ex.stack.data();
  cur = entry;
  depth = ex.depth;
  uint64_t*& send = cold.send;
  InstanceData*& inst = cold.inst;
  FuncInst* const*& funcs = cold.funcs;
  GlobalInst* const*& globals = cold.globals;
  const uint32_t*& type_ids = cold.type_ids;
  MemoryInst*& mem = cold.mem;
  const std::atomic<uint32_t>*& interrupt = cold.interrupt;
  FuncInst*& callee = cold.callee;
  uint64_t*& nfp = cold.nfp;
  const uint64_t*& ret_pc = cold.ret_pc;
  const uint64_t*& rhdr = cold.rhdr;
  TrapKind& tk = cold.tk;
  send = sbase + ex.stack.size();
  interrupt = ex.interrupt.get();
  cold.entry_depth = depth;
  cold.max_depth = ex.max_call_depth;
  const uint32_t& entry_depth = cold.entry_depth;
  const uint32_t& max_depth = cold.max_depth;
  std::optional<engine::Trap> host_trap;

#define LOAD_INSTANCE(i)                                       \
  do {                                                         \
    inst = (i);                                                \
    funcs = inst->funcs.data();                                \
    globals = inst->globals.data();                            \
    type_ids = inst->loaded->type_ids.data();                  \
    mem = inst->memory0;                                       \
    mbase = mem ? mem->base : nullptr;                         \
    msize = mem ? mem->size : 0;                               \
  } while (0)
#define RELOAD_STACK()                                         \
  do {                                                         \
    size_t fp_off_ = static_cast<size_t>(fp - sbase);          \
    sbase = ex.stack.data();                                   \
    send = sbase + ex.stack.size();                            \
    fp = sbase + fp_off_;                                      \
  } while (0)
#ifdef WASIPOOL_INTERP_PROFILE
#define NEXT(n)                          \
  do {                                   \
    pc += (n);                           \
    profile_hit(kLabels, pc[0]);         \
    goto *reinterpret_cast<const void*>(pc[0]); \
  } while (0)
#else
// The empty asm pins the hot four to registers at every dispatch: with ~500 handlers in one function
// GCC otherwise may decide to keep fp in a stack slot and reload it in every handler.
#define NEXT(n)                          \
  do {                                   \
    pc += (n);                           \
    asm volatile("" : "+r"(fp), "+r"(pc), "+r"(mbase), "+r"(msize)); \
    goto *reinterpret_cast<const void*>(pc[0]); \
  } while (0)
#endif
#define TRAP(k)              \
  do {                       \
    tk = TrapKind::k;        \
    goto trap;               \
  } while (0)

  LOAD_INSTANCE(entry->instance);
  NEXT(0);

  // ---- numeric handlers: [dst|a] (unary) or [dst|a][b] (binary) --------------------------------
#define UNOP(Name, expr)                \
  L_##Name : {                          \
    uint64_t w_ = pc[1];                \
    uint64_t a = fp[hi(w_)];            \
    fp[lo(w_)] = (expr);                \
    NEXT(2);                            \
  }
#define BINOP(Name, expr)               \
  L_##Name : {                          \
    uint64_t w_ = pc[1];                \
    uint64_t a = fp[hi(w_)];            \
    uint64_t b = fp[lo(pc[2])];         \
    fp[lo(w_)] = (expr);                \
    NEXT(3);                            \
  }
#define BINOP_TRAP(Name, check, expr)   \
  L_##Name : {                          \
    uint64_t w_ = pc[1];                \
    uint64_t a = fp[hi(w_)];            \
    uint64_t b = fp[lo(pc[2])];         \
    check;                              \
    fp[lo(w_)] = (expr);                \
    NEXT(3);                            \
  }
#define U32(x) static_cast<uint32_t>(x)
#define S32(x) static_cast<int32_t>(static_cast<uint32_t>(x))
#define S64(x) static_cast<int64_t>(x)
#define B(x) static_cast<uint64_t>(x)
#define F32(x) num::f32(x)
#define F64(x) num::f64(x)

  // i32
  UNOP(I32Eqz, B(U32(a) == 0))
  BINOP(I32Eq, B(U32(a) == U32(b)))
  BINOP(I32Ne, B(U32(a) != U32(b)))
  BINOP(I32LtS, B(S32(a) < S32(b)))
  BINOP(I32LtU, B(U32(a) < U32(b)))
  BINOP(I32GtS, B(S32(a) > S32(b)))
  BINOP(I32GtU, B(U32(a) > U32(b)))
  BINOP(I32LeS, B(S32(a) <= S32(b)))
  BINOP(I32LeU, B(U32(a) <= U32(b)))
  BINOP(I32GeS, B(S32(a) >= S32(b)))
  BINOP(I32GeU, B(U32(a) >= U32(b)))
  UNOP(I32Clz, B(std::countl_zero(U32(a))))
  UNOP(I32Ctz, B(std::countr_zero(U32(a))))
  UNOP(I32Popcnt, B(std::popcount(U32(a))))
  BINOP(I32Add, B(U32(a + b)))
  BINOP(I32Sub, B(U32(a - b)))
  BINOP(I32Mul, B(U32(U32(a) * U32(b))))
  // INT_MIN / -1 would fault the host CPU (SIGFPE): trap "integer overflow" before dividing.
  BINOP_TRAP(I32DivS, if (U32(b) == 0) TRAP(IntegerDivideByZero);
             if (U32(a) == 0x80000000u && U32(b) == 0xFFFFFFFFu) TRAP(IntegerOverflow), B(U32(S32(a) / S32(b))))
  BINOP_TRAP(I32DivU, if (U32(b) == 0) TRAP(IntegerDivideByZero), B(U32(a) / U32(b)))
  // INT_MIN % -1 would fault the host CPU too; its wasm result is 0.
  BINOP_TRAP(I32RemS, if (U32(b) == 0) TRAP(IntegerDivideByZero),
             U32(b) == 0xFFFFFFFFu ? 0 : B(U32(S32(a) % S32(b))))
  BINOP_TRAP(I32RemU, if (U32(b) == 0) TRAP(IntegerDivideByZero), B(U32(a) % U32(b)))
  BINOP(I32And, B(U32(a & b)))
  BINOP(I32Or, B(U32(a | b)))
  BINOP(I32Xor, B(U32(a ^ b)))
  BINOP(I32Shl, B(U32(U32(a) << (b & 31))))
  BINOP(I32ShrS, B(U32(S32(a) >> (b & 31))))
  BINOP(I32ShrU, B(U32(a) >> (b & 31)))
  BINOP(I32Rotl, B(std::rotl(U32(a), static_cast<int>(b & 31))))
  BINOP(I32Rotr, B(std::rotr(U32(a), static_cast<int>(b & 31))))
  // i64
  UNOP(I64Eqz, B(a == 0))
  BINOP(I64Eq, B(a == b))
  BINOP(I64Ne, B(a != b))
  BINOP(I64LtS, B(S64(a) < S64(b)))
  BINOP(I64LtU, B(a < b))
  BINOP(I64GtS, B(S64(a) > S64(b)))
  BINOP(I64GtU, B(a > b))
  BINOP(I64LeS, B(S64(a) <= S64(b)))
  BINOP(I64LeU, B(a <= b))
  BINOP(I64GeS, B(S64(a) >= S64(b)))
  BINOP(I64GeU, B(a >= b))
  UNOP(I64Clz, B(std::countl_zero(a)))
  UNOP(I64Ctz, B(std::countr_zero(a)))
  UNOP(I64Popcnt, B(std::popcount(a)))
  BINOP(I64Add, a + b)
  BINOP(I64Sub, a - b)
  BINOP(I64Mul, a * b)
  BINOP_TRAP(I64DivS, if (b == 0) TRAP(IntegerDivideByZero);
             if (a == 0x8000000000000000ull && b == ~0ull) TRAP(IntegerOverflow), B(S64(a) / S64(b)))
  BINOP_TRAP(I64DivU, if (b == 0) TRAP(IntegerDivideByZero), a / b)
  BINOP_TRAP(I64RemS, if (b == 0) TRAP(IntegerDivideByZero), b == ~0ull ? 0 : B(S64(a) % S64(b)))
  BINOP_TRAP(I64RemU, if (b == 0) TRAP(IntegerDivideByZero), a % b)
  BINOP(I64And, a & b)
  BINOP(I64Or, a | b)
  BINOP(I64Xor, a ^ b)
  BINOP(I64Shl, a << (b & 63))
  BINOP(I64ShrS, B(S64(a) >> (b & 63)))
  BINOP(I64ShrU, a >> (b & 63))
  BINOP(I64Rotl, std::rotl(a, static_cast<int>(b & 63)))
  BINOP(I64Rotr, std::rotr(a, static_cast<int>(b & 63)))
  // f32 / f64 comparisons (NaN compares false, != true: the C++ operators match the spec)
  BINOP(F32Eq, B(F32(a) == F32(b)))
  BINOP(F32Ne, B(F32(a) != F32(b)))
  BINOP(F32Lt, B(F32(a) < F32(b)))
  BINOP(F32Gt, B(F32(a) > F32(b)))
  BINOP(F32Le, B(F32(a) <= F32(b)))
  BINOP(F32Ge, B(F32(a) >= F32(b)))
  BINOP(F64Eq, B(F64(a) == F64(b)))
  BINOP(F64Ne, B(F64(a) != F64(b)))
  BINOP(F64Lt, B(F64(a) < F64(b)))
  BINOP(F64Gt, B(F64(a) > F64(b)))
  BINOP(F64Le, B(F64(a) <= F64(b)))
  BINOP(F64Ge, B(F64(a) >= F64(b)))
  // f32 arithmetic; abs/neg/copysign are bit operations so NaN payloads pass through untouched
  UNOP(F32Abs, a & 0x7FFFFFFFu)
  UNOP(F32Neg, (a ^ 0x80000000u) & 0xFFFFFFFFu)
  UNOP(F32Ceil, num::bits(num::fceil(F32(a))))
  UNOP(F32Floor, num::bits(num::ffloor(F32(a))))
  UNOP(F32Trunc, num::bits(num::ftrunc(F32(a))))
  UNOP(F32Nearest, num::bits(num::fnearest(F32(a))))
  UNOP(F32Sqrt, num::bits(std::sqrt(F32(a))))
  BINOP(F32Add, num::bits(F32(a) + F32(b)))
  BINOP(F32Sub, num::bits(F32(a) - F32(b)))
  BINOP(F32Mul, num::bits(F32(a) * F32(b)))
  BINOP(F32Div, num::bits(F32(a) / F32(b)))
  BINOP(F32Min, num::bits(num::fmin(F32(a), F32(b))))
  BINOP(F32Max, num::bits(num::fmax(F32(a), F32(b))))
  BINOP(F32Copysign, (a & 0x7FFFFFFFu) | (b & 0x80000000u))
  // f64 arithmetic
  UNOP(F64Abs, a & 0x7FFFFFFFFFFFFFFFull)
  UNOP(F64Neg, a ^ 0x8000000000000000ull)
  UNOP(F64Ceil, num::bits(num::fceil(F64(a))))
  UNOP(F64Floor, num::bits(num::ffloor(F64(a))))
  UNOP(F64Trunc, num::bits(num::ftrunc(F64(a))))
  UNOP(F64Nearest, num::bits(num::fnearest(F64(a))))
  UNOP(F64Sqrt, num::bits(std::sqrt(F64(a))))
  BINOP(F64Add, num::bits(F64(a) + F64(b)))
  BINOP(F64Sub, num::bits(F64(a) - F64(b)))
  BINOP(F64Mul, num::bits(F64(a) * F64(b)))
  BINOP(F64Div, num::bits(F64(a) / F64(b)))
  BINOP(F64Min, num::bits(num::fmin(F64(a), F64(b))))
  BINOP(F64Max, num::bits(num::fmax(F64(a), F64(b))))
  BINOP(F64Copysign, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))
  // conversions
  UNOP(I32WrapI64, B(U32(a)))
  UNOP(I64ExtendI32S, B(S64(S32(a))))
  UNOP(I64ExtendI32U, B(U32(a)))
  UNOP(F32ConvertI32S, num::bits(static_cast<float>(S32(a))))
  UNOP(F32ConvertI32U, num::bits(static_cast<float>(U32(a))))
  UNOP(F32ConvertI64S, num::bits(static_cast<float>(S64(a))))
  UNOP(F32ConvertI64U, num::bits(static_cast<float>(a)))  // one correctly rounded conversion
  UNOP(F32DemoteF64, num::bits(static_cast<float>(F64(a))))
  UNOP(F64ConvertI32S, num::bits(static_cast<double>(S32(a))))
  UNOP(F64ConvertI32U, num::bits(static_cast<double>(U32(a))))
  UNOP(F64ConvertI64S, num::bits(static_cast<double>(S64(a))))
  UNOP(F64ConvertI64U, num::bits(static_cast<double>(a)))
  UNOP(F64PromoteF32, num::bits(static_cast<double>(F32(a))))
  UNOP(I32ReinterpretF32, B(U32(a)))
  UNOP(I64ReinterpretF64, a)
  UNOP(F32ReinterpretI32, B(U32(a)))
  UNOP(F64ReinterpretI64, a)
  UNOP(I32Extend8S, B(U32(static_cast<int32_t>(static_cast<int8_t>(a)))))
  UNOP(I32Extend16S, B(U32(static_cast<int32_t>(static_cast<int16_t>(a)))))
  UNOP(I64Extend8S, B(static_cast<int64_t>(static_cast<int8_t>(a))))
  UNOP(I64Extend16S, B(static_cast<int64_t>(static_cast<int16_t>(a))))
  UNOP(I64Extend32S, B(static_cast<int64_t>(static_cast<int32_t>(a))))
  UNOP(I32TruncSatF32S, B(num::sat_i32_s(F32(a))))
  UNOP(I32TruncSatF32U, B(num::sat_i32_u(F32(a))))
  UNOP(I32TruncSatF64S, B(num::sat_i32_s(F64(a))))
  UNOP(I32TruncSatF64U, B(num::sat_i32_u(F64(a))))
  UNOP(I64TruncSatF32S, num::sat_i64_s(F32(a)))
  UNOP(I64TruncSatF32U, num::sat_i64_u(F32(a)))
  UNOP(I64TruncSatF64S, num::sat_i64_s(F64(a)))
  UNOP(I64TruncSatF64U, num::sat_i64_u(F64(a)))
  UNOP(RefIsNull, B(a == 0))

  // Trapping truncation: NaN -> "invalid conversion to integer", out of range -> "integer overflow".
#define TRUNC(Name, fn, T, conv)                   \
  L_##Name : {                                     \
    uint64_t w_ = pc[1];                           \
    T r_ = 0;                                      \
    int st_ = num::fn(conv(fp[hi(w_)]), r_);       \
    if (st_ == 1) TRAP(InvalidConversion);         \
    if (st_ == 2) TRAP(IntegerOverflow);           \
    fp[lo(w_)] = r_;                               \
    NEXT(2);                                       \
  }
  TRUNC(I32TruncF32S, trunc_i32_s, uint32_t, F32)
  TRUNC(I32TruncF32U, trunc_i32_u, uint32_t, F32)
  TRUNC(I32TruncF64S, trunc_i32_s, uint32_t, F64)
  TRUNC(I32TruncF64U, trunc_i32_u, uint32_t, F64)
  TRUNC(I64TruncF32S, trunc_i64_s, uint64_t, F32)
  TRUNC(I64TruncF32U, trunc_i64_u, uint64_t, F32)
  TRUNC(I64TruncF64S, trunc_i64_s, uint64_t, F64)
  TRUNC(I64TruncF64U, trunc_i64_u, uint64_t, F64)

  // ---- memory: [dst|addr][offset] loads, [addr|value][offset] stores ------------------------------
  // The bounds check: addr (u32) + offset (u32) + size is computed in 64 bits, so it cannot wrap, and
  // must not pass the current memory size — a guest can never read or write outside its memory.
#define LOAD(Name, T, conv)                                        \
  L_##Name : {                                                     \
    uint64_t w_ = pc[1];                                           \
    uint64_t ea_ = uint64_t{U32(fp[hi(w_)])} + pc[2];              \
    if (ea_ + sizeof(T) > msize) TRAP(MemoryOutOfBounds);          \
    T v_;                                                          \
    std::memcpy(&v_, mbase + ea_, sizeof(T));                      \
    fp[lo(w_)] = conv(v_);                                         \
    NEXT(3);                                                       \
  }
#define STORE(Name, T)                                             \
  L_##Name : {                                                     \
    uint64_t w_ = pc[1];                                           \
    uint64_t ea_ = uint64_t{U32(fp[lo(w_)])} + pc[2];              \
    if (ea_ + sizeof(T) > msize) TRAP(MemoryOutOfBounds);          \
    T v_ = static_cast<T>(fp[hi(w_)]);                             \
    std::memcpy(mbase + ea_, &v_, sizeof(T));                      \
    NEXT(3);                                                       \
  }
#define ZX(v) static_cast<uint64_t>(v)
#define SX32(v) B(U32(static_cast<int32_t>(v)))
#define SX64(v) B(static_cast<int64_t>(v))
  LOAD(I32Load, uint32_t, ZX)
  LOAD(I64Load, uint64_t, ZX)
  LOAD(F32Load, uint32_t, ZX)
  LOAD(F64Load, uint64_t, ZX)
  LOAD(I32Load8S, int8_t, SX32)
  LOAD(I32Load8U, uint8_t, ZX)
  LOAD(I32Load16S, int16_t, SX32)
  LOAD(I32Load16U, uint16_t, ZX)
  LOAD(I64Load8S, int8_t, SX64)
  LOAD(I64Load8U, uint8_t, ZX)
  LOAD(I64Load16S, int16_t, SX64)
  LOAD(I64Load16U, uint16_t, ZX)
  LOAD(I64Load32S, int32_t, SX64)
  LOAD(I64Load32U, uint32_t, ZX)
  STORE(I32Store, uint32_t)
  STORE(I64Store, uint64_t)
  STORE(F32Store, uint32_t)
  STORE(F64Store, uint64_t)
  STORE(I32Store8, uint8_t)
  STORE(I32Store16, uint16_t)
  STORE(I64Store8, uint8_t)
  STORE(I64Store16, uint16_t)
  STORE(I64Store32, uint32_t)

  // Fused i32.add address: the sum wraps to 32 bits exactly as the separate i32.add would; then the
  // same 64-bit bounds check as above.
#define ADD_LOAD(Name, T, conv)                                    \
  L_Add##Name : {                                                  \
    uint64_t w_ = pc[1], w2_ = pc[2];                              \
    uint64_t ea_ = uint64_t{U32(fp[hi(w_)] + fp[lo(w2_)])} + hi(w2_); \
    if (ea_ + sizeof(T) > msize) TRAP(MemoryOutOfBounds);          \
    T v_;                                                          \
    std::memcpy(&v_, mbase + ea_, sizeof(T));                      \
    fp[lo(w_)] = conv(v_);                                         \
    NEXT(3);                                                       \
  }
#define ADD_STORE(Name, T)                                         \
  L_Add##Name : {                                                  \
    uint64_t w_ = pc[1], w2_ = pc[2];                              \
    uint64_t ea_ = uint64_t{U32(fp[lo(w_)] + fp[hi(w_)])} + hi(w2_); \
    if (ea_ + sizeof(T) > msize) TRAP(MemoryOutOfBounds);          \
    T v_ = static_cast<T>(fp[lo(w2_)]);                            \
    std::memcpy(mbase + ea_, &v_, sizeof(T));                      \
    NEXT(3);                                                       \
  }
  ADD_LOAD(I32Load, uint32_t, ZX)
  ADD_LOAD(I64Load, uint64_t, ZX)
  ADD_LOAD(F32Load, uint32_t, ZX)
  ADD_LOAD(F64Load, uint64_t, ZX)
  ADD_LOAD(I32Load8S, int8_t, SX32)
  ADD_LOAD(I32Load8U, uint8_t, ZX)
  ADD_LOAD(I32Load16S, int16_t, SX32)
  ADD_LOAD(I32Load16U, uint16_t, ZX)
  ADD_LOAD(I64Load8S, int8_t, SX64)
  ADD_LOAD(I64Load8U, uint8_t, ZX)
  ADD_LOAD(I64Load16S, int16_t, SX64)
  ADD_LOAD(I64Load16U, uint16_t, ZX)
  ADD_LOAD(I64Load32S, int32_t, SX64)
  ADD_LOAD(I64Load32U, uint32_t, ZX)
  ADD_STORE(I32Store, uint32_t)
  ADD_STORE(I64Store, uint64_t)
  ADD_STORE(F32Store, uint32_t)
  ADD_STORE(F64Store, uint64_t)
  ADD_STORE(I32Store8, uint8_t)
  ADD_STORE(I32Store16, uint16_t)
  ADD_STORE(I64Store8, uint8_t)
  ADD_STORE(I64Store16, uint16_t)
  ADD_STORE(I64Store32, uint32_t)

  // Load feeding a store of the same width (a copy through memory): the source is checked and read
  // first, exactly as the separate load would, then the destination is checked before the write.
#define MEM_COPY(Name, T)                                          \
  L_##Name : {                                                     \
    uint64_t w_ = pc[2];                                           \
    uint64_t ea_ = uint64_t{U32(fp[lo(w_)] + fp[hi(w_)])} + hi(pc[3]); \
    if (ea_ + sizeof(T) > msize) TRAP(MemoryOutOfBounds);          \
    T v_;                                                          \
    std::memcpy(&v_, mbase + ea_, sizeof(T));                      \
    w_ = pc[1];                                                    \
    ea_ = uint64_t{U32(fp[lo(w_)] + fp[hi(w_)])} + lo(pc[3]);      \
    if (ea_ + sizeof(T) > msize) TRAP(MemoryOutOfBounds);          \
    std::memcpy(mbase + ea_, &v_, sizeof(T));                      \
    NEXT(4);                                                       \
  }
  MEM_COPY(MemCopy1, uint8_t)
  MEM_COPY(MemCopy2, uint16_t)
  MEM_COPY(MemCopy4, uint32_t)
  MEM_COPY(MemCopy8, uint64_t)

  // Two fused binary operations ([dst|a][b|c]); the temporary t never reaches a slot. The same
  // expressions as the single handlers above.
#define E_I32_Add(a, b) B(U32(a + b))
#define E_I32_Sub(a, b) B(U32(a - b))
#define E_I32_Mul(a, b) B(U32(U32(a) * U32(b)))
#define E_I32_And(a, b) B(U32(a & b))
#define E_I32_Or(a, b) B(U32(a | b))
#define E_I32_Xor(a, b) B(U32(a ^ b))
#define E_I32_Shl(a, b) B(U32(U32(a) << (b & 31)))
#define E_I32_ShrS(a, b) B(U32(S32(a) >> (b & 31)))
#define E_I32_ShrU(a, b) B(U32(a) >> (b & 31))
#define E_I32_Rotl(a, b) B(std::rotl(U32(a), static_cast<int>(b & 31)))
#define E_F64_Add(a, b) num::bits(F64(a) + F64(b))
#define E_F64_Sub(a, b) num::bits(F64(a) - F64(b))
#define E_F64_Mul(a, b) num::bits(F64(a) * F64(b))
#define E_F64_Div(a, b) num::bits(F64(a) / F64(b))
#define FUSED_I32(A, Bop)                                          \
  L_FI32##A##_##Bop : {                                            \
    uint64_t w_ = pc[1], w2_ = pc[2];                              \
    uint64_t t_ = E_I32_##A(fp[hi(w_)], fp[lo(w2_)]);              \
    uint64_t c_ = fp[hi(w2_)];                                     \
    fp[lo(w_)] = E_I32_##Bop(t_, c_);                              \
    NEXT(3);                                                       \
  }
#define FUSED_F64(A, Bop)                                          \
  L_FF64##A##_##Bop : {                                            \
    uint64_t w_ = pc[1], w2_ = pc[2];                              \
    uint64_t t_ = E_F64_##A(fp[hi(w_)], fp[lo(w2_)]);              \
    uint64_t c_ = fp[hi(w2_)];                                     \
    fp[lo(w_)] = E_F64_##Bop(t_, c_);                              \
    NEXT(3);                                                       \
  }                                                                \
  L_RF64##A##_##Bop : {                                            \
    uint64_t w_ = pc[1], w2_ = pc[2];                              \
    uint64_t t_ = E_F64_##A(fp[hi(w_)], fp[lo(w2_)]);              \
    uint64_t c_ = fp[hi(w2_)];                                     \
    fp[lo(w_)] = E_F64_##Bop(c_, t_);                              \
    NEXT(3);                                                       \
  }
  WASIPOOL_INTERP_FUSED_I32(FUSED_I32)
  WASIPOOL_INTERP_FUSED_F64(FUSED_F64)

L_MemorySize : {
  fp[lo(pc[1])] = msize / ir::kPageSize;
  NEXT(2);
}
L_MemoryGrow : {
  uint64_t w = pc[1];
  int64_t r = mem->grow(U32(fp[hi(w)]));
  msize = mem->size;
  fp[lo(w)] = B(U32(static_cast<int32_t>(r)));  // -1 on failure
  NEXT(2);
}
L_MemoryInit : {  // [d|s][n|data]
  uint64_t w1 = pc[1], w2 = pc[2];
  uint64_t d = U32(fp[lo(w1)]), s = U32(fp[hi(w1)]), n = U32(fp[lo(w2)]);
  std::span<const uint8_t> seg = inst->datas[hi(w2)];
  // Both ranges are checked in 64 bits before any byte moves: no partial write, no read past the segment.
  if (s + n > seg.size() || d + n > msize) TRAP(MemoryOutOfBounds);
  if (n) std::memcpy(mbase + d, seg.data() + s, n);
  NEXT(3);
}
L_DataDrop : {
  inst->datas[lo(pc[1])] = {};
  NEXT(2);
}
L_MemoryCopy : {  // [d|s][n]
  uint64_t w1 = pc[1];
  uint64_t d = U32(fp[lo(w1)]), s = U32(fp[hi(w1)]), n = U32(fp[lo(pc[2])]);
  // Source and destination both checked (64-bit sums) before the move; memmove handles overlap.
  if (s + n > msize || d + n > msize) TRAP(MemoryOutOfBounds);
  if (n) std::memmove(mbase + d, mbase + s, n);
  NEXT(3);
}
L_MemoryFill : {  // [d|value][n]
  uint64_t w1 = pc[1];
  uint64_t d = U32(fp[lo(w1)]), n = U32(fp[lo(pc[2])]);
  // The whole destination range is checked (64-bit sum) before the first byte is written.
  if (d + n > msize) TRAP(MemoryOutOfBounds);
  if (n) std::memset(mbase + d, static_cast<int>(fp[hi(w1)] & 0xFF), n);
  NEXT(3);
}

  // ---- variables, references, tables ------------------------------------------------------------
  // Copies [dst|src], executed in order: a later copy may read what an earlier one wrote.
#define COPY_WORD(i)                     \
  do {                                   \
    uint64_t w_ = pc[i];                 \
    fp[lo(w_)] = fp[hi(w_)];             \
  } while (0)
L_Copy:
  COPY_WORD(1);
  NEXT(2);
L_Copy2:
  COPY_WORD(1);
  COPY_WORD(2);
  NEXT(3);
L_Copy3:
  COPY_WORD(1);
  COPY_WORD(2);
  COPY_WORD(3);
  NEXT(4);
L_Copy4:
  COPY_WORD(1);
  COPY_WORD(2);
  COPY_WORD(3);
  COPY_WORD(4);
  NEXT(5);
L_GlobalGet : {
  uint64_t w = pc[1];
  fp[lo(w)] = globals[hi(w)]->value;
  NEXT(2);
}
L_GlobalSet : {
  uint64_t w = pc[1];
  globals[hi(w)]->value = fp[lo(w)];
  NEXT(2);
}
L_SelectOp : {  // [dst|a][b|cond]
  uint64_t w1 = pc[1], w2 = pc[2];
  fp[lo(w1)] = U32(fp[hi(w2)]) ? fp[hi(w1)] : fp[lo(w2)];
  NEXT(3);
}
L_RefFunc : {
  uint64_t w = pc[1];
  fp[lo(w)] = reinterpret_cast<uint64_t>(funcs[hi(w)]);
  NEXT(2);
}
L_TableGet : {  // [dst|i][table]
  uint64_t w = pc[1];
  TableInst* t = inst->tables[lo(pc[2])];
  uint64_t i = U32(fp[hi(w)]);
  if (i >= t->elems.size()) TRAP(TableOutOfBounds);  // guest index checked against the table's size
  fp[lo(w)] = t->elems[i];
  NEXT(3);
}
L_TableSet : {  // [i|v][table]
  uint64_t w = pc[1];
  TableInst* t = inst->tables[lo(pc[2])];
  uint64_t i = U32(fp[lo(w)]);
  if (i >= t->elems.size()) TRAP(TableOutOfBounds);  // guest index checked against the table's size
  t->elems[i] = fp[hi(w)];
  NEXT(3);
}
L_TableSize : {
  uint64_t w = pc[1];
  fp[lo(w)] = inst->tables[hi(w)]->elems.size();
  NEXT(2);
}
L_TableGrow : {  // [dst|init][n|table]
  uint64_t w1 = pc[1], w2 = pc[2];
  int64_t r = inst->tables[hi(w2)]->grow(U32(fp[lo(w2)]), fp[hi(w1)]);
  fp[lo(w1)] = B(U32(static_cast<int32_t>(r)));
  NEXT(3);
}
L_TableFill : {  // [i|v][n|table]
  uint64_t w1 = pc[1], w2 = pc[2];
  TableInst* t = inst->tables[hi(w2)];
  uint64_t i = U32(fp[lo(w1)]), n = U32(fp[lo(w2)]);
  if (i + n > t->elems.size()) TRAP(TableOutOfBounds);  // 64-bit sum: checked before any write
  std::fill_n(t->elems.begin() + static_cast<ptrdiff_t>(i), n, fp[hi(w1)]);
  NEXT(3);
}
L_TableCopy : {  // [d|s][n|dst table][src table]
  uint64_t w1 = pc[1], w2 = pc[2];
  TableInst* td = inst->tables[hi(w2)];
  TableInst* ts = inst->tables[lo(pc[3])];
  uint64_t d = U32(fp[lo(w1)]), s = U32(fp[hi(w1)]), n = U32(fp[lo(w2)]);
  // Both ranges checked (64-bit sums) before anything moves.
  if (s + n > ts->elems.size() || d + n > td->elems.size()) TRAP(TableOutOfBounds);
  if (n) std::memmove(td->elems.data() + d, ts->elems.data() + s, n * sizeof(uint64_t));
  NEXT(4);
}
L_TableInit : {  // [d|s][n|elem][table]
  uint64_t w1 = pc[1], w2 = pc[2];
  TableInst* t = inst->tables[lo(pc[3])];
  const std::vector<uint64_t>& seg = inst->elems[hi(w2)];
  uint64_t d = U32(fp[lo(w1)]), s = U32(fp[hi(w1)]), n = U32(fp[lo(w2)]);
  // Segment and table ranges checked (64-bit sums) before anything is written.
  if (s + n > seg.size() || d + n > t->elems.size()) TRAP(TableOutOfBounds);
  if (n) std::memcpy(t->elems.data() + d, seg.data() + s, n * sizeof(uint64_t));
  NEXT(4);
}
L_ElemDrop : {
  inst->elems[lo(pc[1])].clear();
  NEXT(2);
}

  // ---- control ------------------------------------------------------------------------------------
L_Unreachable:
  TRAP(Unreachable);
L_JumpBack:
  // Every loop iteration passes a backward branch: checking there bounds the time to stop a guest.
  if (interrupt->load(std::memory_order_relaxed)) TRAP(Interrupted);
  pc += static_cast<int32_t>(lo(pc[1]));
  NEXT(0);
L_Jump:
  pc += static_cast<int32_t>(lo(pc[1]));
  NEXT(0);
L_BrCopy1 : {  // [off][src|dst]; may go back to a loop: check for interruption
  if (interrupt->load(std::memory_order_relaxed)) TRAP(Interrupted);
  uint64_t w = pc[2];
  fp[hi(w)] = fp[lo(w)];
  pc += static_cast<int32_t>(lo(pc[1]));
  NEXT(0);
}
L_BrCopyN : {  // [off][src|dst][n]; may go back to a loop: check for interruption
  if (interrupt->load(std::memory_order_relaxed)) TRAP(Interrupted);
  uint64_t w = pc[2];
  std::memmove(fp + hi(w), fp + lo(w), pc[3] * sizeof(uint64_t));
  pc += static_cast<int32_t>(lo(pc[1]));
  NEXT(0);
}
// Each conditional branch comes twice: forward, and back to a loop header with the interruption
// check on the taken path.
#define BR_IF1(Name, cond)                                         \
  L_##Name : {                                                     \
    uint64_t w_ = pc[1];                                           \
    uint64_t a = fp[hi(w_)];                                       \
    if (cond) {                                                    \
      pc += static_cast<int32_t>(lo(w_));                          \
      NEXT(0);                                                     \
    }                                                              \
    NEXT(2);                                                       \
  }                                                                \
  L_##Name##Back : {                                               \
    uint64_t w_ = pc[1];                                           \
    uint64_t a = fp[hi(w_)];                                       \
    if (cond) {                                                    \
      if (interrupt->load(std::memory_order_relaxed)) TRAP(Interrupted); \
      pc += static_cast<int32_t>(lo(w_));                          \
      NEXT(0);                                                     \
    }                                                              \
    NEXT(2);                                                       \
  }
#define BR_IF2(Name, cond)                                         \
  L_##Name : {                                                     \
    uint64_t w_ = pc[2];                                           \
    uint64_t a = fp[lo(w_)];                                       \
    uint64_t b = fp[hi(w_)];                                       \
    if (cond) {                                                    \
      pc += static_cast<int32_t>(lo(pc[1]));                       \
      NEXT(0);                                                     \
    }                                                              \
    NEXT(3);                                                       \
  }                                                                \
  L_##Name##Back : {                                               \
    uint64_t w_ = pc[2];                                           \
    uint64_t a = fp[lo(w_)];                                       \
    uint64_t b = fp[hi(w_)];                                       \
    if (cond) {                                                    \
      if (interrupt->load(std::memory_order_relaxed)) TRAP(Interrupted); \
      pc += static_cast<int32_t>(lo(pc[1]));                       \
      NEXT(0);                                                     \
    }                                                              \
    NEXT(3);                                                       \
  }
  BR_IF1(BrNez, U32(a) != 0)
  BR_IF1(BrEqz, U32(a) == 0)
  BR_IF1(BrI64Nez, a != 0)
  BR_IF1(BrI64Eqz, a == 0)
  BR_IF2(BrI32Eq, U32(a) == U32(b))
  BR_IF2(BrI32Ne, U32(a) != U32(b))
  BR_IF2(BrI32LtS, S32(a) < S32(b))
  BR_IF2(BrI32LtU, U32(a) < U32(b))
  BR_IF2(BrI32GtS, S32(a) > S32(b))
  BR_IF2(BrI32GtU, U32(a) > U32(b))
  BR_IF2(BrI32LeS, S32(a) <= S32(b))
  BR_IF2(BrI32LeU, U32(a) <= U32(b))
  BR_IF2(BrI32GeS, S32(a) >= S32(b))
  BR_IF2(BrI32GeU, U32(a) >= U32(b))
  BR_IF2(BrI64Eq, a == b)
  BR_IF2(BrI64Ne, a != b)
  BR_IF2(BrI64LtS, S64(a) < S64(b))
  BR_IF2(BrI64LtU, a < b)
  BR_IF2(BrI64GtS, S64(a) > S64(b))
  BR_IF2(BrI64GtU, a > b)
  BR_IF2(BrI64LeS, S64(a) <= S64(b))
  BR_IF2(BrI64LeU, a <= b)
  BR_IF2(BrI64GeS, S64(a) >= S64(b))
  BR_IF2(BrI64GeU, a >= b)
  BR_IF2(BrF32Eq, F32(a) == F32(b))
  BR_IF2(BrF32Ne, F32(a) != F32(b))
  BR_IF2(BrF32Lt, F32(a) < F32(b))
  BR_IF2(BrF32Gt, F32(a) > F32(b))
  BR_IF2(BrF32Le, F32(a) <= F32(b))
  BR_IF2(BrF32Ge, F32(a) >= F32(b))
  BR_IF2(BrF64Eq, F64(a) == F64(b))
  BR_IF2(BrF64Ne, F64(a) != F64(b))
  BR_IF2(BrF64Lt, F64(a) < F64(b))
  BR_IF2(BrF64Gt, F64(a) > F64(b))
  BR_IF2(BrF64Le, F64(a) <= F64(b))
  BR_IF2(BrF64Ge, F64(a) >= F64(b))
L_BrTableOp : {  // [idx|n][src|count] then count+1 words [off|dst]; may go back to a loop
  if (interrupt->load(std::memory_order_relaxed)) TRAP(Interrupted);
  uint64_t w1 = pc[1], w2 = pc[2];
  uint32_t i = U32(fp[lo(w1)]);
  uint32_t count = hi(w2);
  if (i > count) i = count;  // out-of-range indices take the default (the last entry)
  uint64_t e = pc[3 + i];
  uint32_t n = hi(w1), src = lo(w2), dst = hi(e);
  if (n && src != dst) std::memmove(fp + dst, fp + src, n * sizeof(uint64_t));
  pc += static_cast<int32_t>(lo(e));
  NEXT(0);
}

  // ---- returns: results go to slot 0.. of the returning frame, where the caller expects them -----
L_Ret0 : {
  rhdr = fp + lo(pc[1]);
  goto do_return;
}
L_Ret1 : {
  uint64_t w = pc[1];
  rhdr = fp + lo(w);
  uint64_t v = fp[hi(w)];
  const uint64_t* rp = reinterpret_cast<const uint64_t*>(rhdr[0]);
  uint64_t coff = rhdr[1];
  FuncInst* caller = reinterpret_cast<FuncInst*>(rhdr[2]);
  fp[0] = v;  // may overwrite the header (a function without parameters): it was read above
  if (depth == entry_depth) goto done;
  --depth;
  pc = rp;
  fp = sbase + coff;
  cur = caller;
  if (caller->instance != inst) LOAD_INSTANCE(caller->instance);
  else msize = mem ? mem->size : 0;  // the callee may have grown the memory
  NEXT(0);
}
L_RetN : {
  uint64_t w = pc[1];
  rhdr = fp + lo(w);
  const uint64_t* rp = reinterpret_cast<const uint64_t*>(rhdr[0]);
  uint64_t coff = rhdr[1];
  FuncInst* caller = reinterpret_cast<FuncInst*>(rhdr[2]);
  std::memmove(fp, fp + hi(w), pc[2] * sizeof(uint64_t));  // downwards: overlap-safe
  if (depth == entry_depth) goto done;
  --depth;
  pc = rp;
  fp = sbase + coff;
  cur = caller;
  if (caller->instance != inst) LOAD_INSTANCE(caller->instance);
  else msize = mem ? mem->size : 0;
  NEXT(0);
}
do_return : {
  if (depth == entry_depth) goto done;
  --depth;
  pc = reinterpret_cast<const uint64_t*>(rhdr[0]);
  FuncInst* caller = reinterpret_cast<FuncInst*>(rhdr[2]);
  fp = sbase + rhdr[1];
  cur = caller;
  if (caller->instance != inst) LOAD_INSTANCE(caller->instance);
  else msize = mem ? mem->size : 0;
  NEXT(0);
}

  // ---- calls ----------------------------------------------------------------------------------------
L_CallOp : {  // [func|args]
  uint64_t w = pc[1];
  callee = funcs[lo(w)];
  nfp = fp + hi(w);
  ret_pc = pc + 2;
  goto do_call;
}
L_CallIndirectOp : {  // [table|type][idx|args]
  uint64_t w1 = pc[1], w2 = pc[2];
  TableInst* t = inst->tables[lo(w1)];
  uint64_t i = U32(fp[lo(w2)]);
  if (i >= t->elems.size()) TRAP(UndefinedElement);  // guest index checked against the table's size
  callee = reinterpret_cast<FuncInst*>(t->elems[i]);
  if (!callee) TRAP(UninitializedElement);
  // Canonical type ids: one compare, valid across modules; a mismatch would misread the frame.
  if (callee->type_id != type_ids[hi(w1)]) TRAP(IndirectCallTypeMismatch);
  nfp = fp + hi(w2);
  ret_pc = pc + 3;
  goto do_call;
}
do_call : {
  const CompiledFunc* cf = callee->code;
  if (!cf) goto host_call;
  const uint64_t* code = cf->entry.load(std::memory_order_acquire);
  if (__builtin_expect(code == nullptr, 0)) {  // first call of this function: compile it now
    code = ensure_compiled(*cf);
    if (!code) {
      host_trap = engine::Trap::host("function too large for the interpreter");
      goto trap;
    }
  }
  // Bounded recursion: the frame stack lives in ExecState::stack, never on the native stack.
  if (depth >= max_depth) TRAP(CallStackExhausted);
  if (nfp + cf->frame_size > send) {
    size_t nfp_off = static_cast<size_t>(nfp - sbase);
    if (!grow_stack(ex.stack, nfp_off + cf->frame_size)) TRAP(CallStackExhausted);
    RELOAD_STACK();
    nfp = sbase + nfp_off;
  }
  uint64_t* h = nfp + cf->hdr;
  h[0] = reinterpret_cast<uint64_t>(ret_pc);
  h[1] = static_cast<uint64_t>(fp - sbase);
  h[2] = reinterpret_cast<uint64_t>(cur);
  {
    // Zeroed locals and constants; usually a handful of words, so no call to memcpy. Two words per
    // step: `init` is padded to an even length and the frame has room for the pad (compile.cpp).
    const uint64_t* src = cf->init_data;
    uint32_t n = cf->init_count;
    uint64_t* dst = h + kHeaderSlots;
    for (uint32_t i = 0; i < n; i += 2) {
      uint64_t a = src[i], b = src[i + 1];
      dst[i] = a;
      dst[i + 1] = b;
    }
  }
  ++depth;
  fp = nfp;
  cur = callee;
  pc = code;
  if (callee->instance != inst) LOAD_INSTANCE(callee->instance);
  if (interrupt->load(std::memory_order_relaxed)) TRAP(Interrupted);
  NEXT(0);
}
host_call : {
  size_t nfp_off = static_cast<size_t>(nfp - sbase);
  size_t frame_end = static_cast<size_t>(fp - sbase) + cur->code->frame_size;
  bool trapped = call_host(*store, callee, inst, nfp_off, frame_end, depth, host_trap);
  ex.depth = entry_depth;
  RELOAD_STACK();                // a re-entrant call may have moved the stack
  msize = mem ? mem->size : 0;  // the host (or wasm it called) may have grown the memory
  if (trapped) goto trap;
  pc = ret_pc;
  NEXT(0);
}

  // Never emitted: wasm control/variable opcodes are compiled into the instructions above.
L_Block:
L_Loop:
L_If:
L_Else:
L_End:
L_Br:
L_BrIf:
L_BrTable:
L_Return:
L_Call:
L_CallIndirect:
L_Drop:
L_Select:
L_SelectT:
L_LocalGet:
L_LocalSet:
L_LocalTee:
L_I32Const:
L_I64Const:
L_F32Const:
L_F64Const:
L_RefNull:
L_Nop:
  host_trap = engine::Trap::host("interpreter: invalid internal instruction");
  goto trap;

trap : {
  engine::Trap t = host_trap ? std::move(*host_trap) : make_trap(tk);
  // Backtrace from the frame headers, innermost first.
  std::vector<uint32_t> frames;
  uint64_t* f = fp;
  FuncInst* c = cur;
  frames.push_back(c->index);
  for (uint32_t d = depth; d > entry_depth; --d) {
    const uint64_t* hdr = f + c->code->hdr;
    c = reinterpret_cast<FuncInst*>(hdr[2]);
    f = sbase + hdr[1];
    frames.push_back(c->index);
  }
  // A trap raised by wasm code re-entered from a host function already holds the inner frames.
  t.backtrace.insert(t.backtrace.end(), frames.begin(), frames.end());
  ex.depth = entry_depth;
  return t;
}
done:
  ex.depth = entry_depth;
  return std::nullopt;

#undef LOAD_INSTANCE
#undef RELOAD_STACK
#undef NEXT
#undef TRAP
}

}  // namespace

const void* const* handler_table() {
  const void* const* table = nullptr;
  (void)run(nullptr, nullptr, 0, &table);
  return table;
}

std::optional<engine::Trap> invoke(runtime::StoreState& store, runtime::FuncInst* f, uint64_t* slots) {
  runtime::ExecState& ex = store.exec;
  const CompiledFunc* cf = f->code;
  if (!ensure_compiled(*cf)) {
    engine::Trap t = engine::Trap::host("function too large for the interpreter");
    t.backtrace.push_back(f->index);
    return t;
  }
  if (ex.interrupt->load(std::memory_order_relaxed)) {
    engine::Trap t = make_trap(TrapKind::Interrupted);
    t.backtrace.push_back(f->index);
    return t;
  }
  if (ex.depth >= ex.max_call_depth) {
    engine::Trap t = make_trap(TrapKind::CallStackExhausted);
    t.backtrace.push_back(f->index);
    return t;
  }
  size_t base = ex.stack_top;
  if (base + cf->frame_size > ex.stack.size() && !grow_stack(ex.stack, base + cf->frame_size)) {
    engine::Trap t = make_trap(TrapKind::CallStackExhausted);
    t.backtrace.push_back(f->index);
    return t;
  }
  uint64_t* fp = ex.stack.data() + base;
  std::copy(slots, slots + cf->num_params, fp);
  uint64_t* h = fp + cf->hdr;
  h[0] = h[1] = h[2] = 0;  // the entry frame returns to invoke, not through its header
  if (cf->init_count) std::memcpy(h + kHeaderSlots, cf->init_data, cf->init_count * sizeof(uint64_t));

  size_t saved_top = ex.stack_top;
  uint32_t saved_depth = ex.depth;
  ex.depth = saved_depth + 1;
  std::optional<engine::Trap> r = run(&store, f, base, nullptr);
  ex.depth = saved_depth;
  ex.stack_top = saved_top;
  if (!r) std::copy(ex.stack.data() + base, ex.stack.data() + base + cf->num_results, slots);
  return r;
}

}  // namespace wasipool::interp
