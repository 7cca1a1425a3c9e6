// wasm function body -> the interpreter's register code (code.h). One pass over the instructions of a
// *validated* body through the shared InstrReader, with a virtual operand stack that defers
// local.get/const and fuses destinations and compares; see docs/interpreter.md.
#include <algorithm>
#include <limits>
#include <string>

#include "../binary/instr_reader.h"
#include "code.h"
#include "interp.h"

namespace wasipool::interp {
namespace {

using binary::BlockType;
using binary::Instr;
using ir::Opcode;

constexpr uint32_t kMaxSlots = 1u << 30;  // frame slots per function; beyond: ErrorKind::Limit

inline uint64_t pack(uint32_t lo, uint32_t hi) { return uint64_t{lo} | (uint64_t{hi} << 32); }

struct Entry {
  // Add: a deferred `i32.add` of two locals/constants (slot + slot2), so that a load or store using
  // it as its address computes it itself; any other consumer gets it materialised first.
  enum Kind : uint8_t { Stack, Local, Const, Add } kind = Stack;
  uint32_t slot = 0;  // where the value is read from now
  uint32_t slot2 = 0; // Add: the second operand
};

struct Fixup {
  uint32_t word;   // code word whose low 32 bits receive the offset
  uint32_t start;  // first word of the branching instruction (offsets are relative to it)
};

// Forward branches waiting for their label's end, all blocks' in one pool (no vector per block):
// each block heads a singly linked list through `next`.
constexpr uint32_t kNoFixup = 0xFFFFFFFFu;
struct PendingFixup {
  Fixup fixup;
  uint32_t next;
};

struct Ctrl {
  enum Kind : uint8_t { Func, Block, Loop, If } kind = Block;
  uint32_t height = 0;   // operand stack height below the block's parameters
  uint32_t nparams = 0;
  uint32_t nresults = 0;
  uint32_t loop_start = 0;
  bool has_else_jump = false;  // If: the jump taken when the condition is false, not yet bound
  Fixup else_jump{};
  bool unreachable = false;
  uint32_t fixups = kNoFixup;  // forward branches to this label's end: a list in FunctionCompiler::pending_
};

// A condition ready for a conditional branch: a fused compare or a plain i32 slot.
struct Cond {
  bool fused = false;
  Op op = Op::BrNez;  // the jump-if-true form
  uint32_t a = 0, b = 0;
};

Op branch_form(Opcode cmp) {
  switch (cmp) {
    case Opcode::I32Eqz: return Op::BrEqz;
    case Opcode::I32Eq: return Op::BrI32Eq;
    case Opcode::I32Ne: return Op::BrI32Ne;
    case Opcode::I32LtS: return Op::BrI32LtS;
    case Opcode::I32LtU: return Op::BrI32LtU;
    case Opcode::I32GtS: return Op::BrI32GtS;
    case Opcode::I32GtU: return Op::BrI32GtU;
    case Opcode::I32LeS: return Op::BrI32LeS;
    case Opcode::I32LeU: return Op::BrI32LeU;
    case Opcode::I32GeS: return Op::BrI32GeS;
    case Opcode::I32GeU: return Op::BrI32GeU;
    case Opcode::I64Eqz: return Op::BrI64Eqz;
    case Opcode::I64Eq: return Op::BrI64Eq;
    case Opcode::I64Ne: return Op::BrI64Ne;
    case Opcode::I64LtS: return Op::BrI64LtS;
    case Opcode::I64LtU: return Op::BrI64LtU;
    case Opcode::I64GtS: return Op::BrI64GtS;
    case Opcode::I64GtU: return Op::BrI64GtU;
    case Opcode::I64LeS: return Op::BrI64LeS;
    case Opcode::I64LeU: return Op::BrI64LeU;
    case Opcode::I64GeS: return Op::BrI64GeS;
    case Opcode::I64GeU: return Op::BrI64GeU;
    case Opcode::F32Eq: return Op::BrF32Eq;
    case Opcode::F32Ne: return Op::BrF32Ne;
    case Opcode::F32Lt: return Op::BrF32Lt;
    case Opcode::F32Gt: return Op::BrF32Gt;
    case Opcode::F32Le: return Op::BrF32Le;
    case Opcode::F32Ge: return Op::BrF32Ge;
    case Opcode::F64Eq: return Op::BrF64Eq;
    case Opcode::F64Ne: return Op::BrF64Ne;
    case Opcode::F64Lt: return Op::BrF64Lt;
    case Opcode::F64Gt: return Op::BrF64Gt;
    case Opcode::F64Le: return Op::BrF64Le;
    case Opcode::F64Ge: return Op::BrF64Ge;
    default: return Op::kCount;
  }
}

// Integer compares have exact complements (no NaN), so "jump if false" is the inverted compare.
Op invert(Op op) {
  switch (op) {
    case Op::BrNez: return Op::BrEqz;
    case Op::BrEqz: return Op::BrNez;
    case Op::BrI64Nez: return Op::BrI64Eqz;
    case Op::BrI64Eqz: return Op::BrI64Nez;
    case Op::BrI32Eq: return Op::BrI32Ne;
    case Op::BrI32Ne: return Op::BrI32Eq;
    case Op::BrI32LtS: return Op::BrI32GeS;
    case Op::BrI32GeS: return Op::BrI32LtS;
    case Op::BrI32LtU: return Op::BrI32GeU;
    case Op::BrI32GeU: return Op::BrI32LtU;
    case Op::BrI32GtS: return Op::BrI32LeS;
    case Op::BrI32LeS: return Op::BrI32GtS;
    case Op::BrI32GtU: return Op::BrI32LeU;
    case Op::BrI32LeU: return Op::BrI32GtU;
    case Op::BrI64Eq: return Op::BrI64Ne;
    case Op::BrI64Ne: return Op::BrI64Eq;
    case Op::BrI64LtS: return Op::BrI64GeS;
    case Op::BrI64GeS: return Op::BrI64LtS;
    case Op::BrI64LtU: return Op::BrI64GeU;
    case Op::BrI64GeU: return Op::BrI64LtU;
    case Op::BrI64GtS: return Op::BrI64LeS;
    case Op::BrI64LeS: return Op::BrI64GtS;
    case Op::BrI64GtU: return Op::BrI64LeU;
    case Op::BrI64LeU: return Op::BrI64GtU;
    default: return op;
  }
}

// Position of a binary operation in the fused-pair rows/columns of code.h, or -1.
int fused_i32_index(Opcode op) {
  switch (op) {
    case Opcode::I32Add: return 0;
    case Opcode::I32Sub: return 1;
    case Opcode::I32Mul: return 2;
    case Opcode::I32And: return 3;
    case Opcode::I32Or: return 4;
    case Opcode::I32Xor: return 5;
    case Opcode::I32Shl: return 6;
    case Opcode::I32ShrS: return 7;
    case Opcode::I32ShrU: return 8;
    case Opcode::I32Rotl: return 9;
    default: return -1;
  }
}
int fused_f64_index(Opcode op) {
  switch (op) {
    case Opcode::F64Add: return 0;
    case Opcode::F64Sub: return 1;
    case Opcode::F64Mul: return 2;
    case Opcode::F64Div: return 3;
    default: return -1;
  }
}
// Integer operations whose operands may be swapped (exact: no NaN payloads involved).
bool commutative_i32(Opcode op) {
  return op == Opcode::I32Add || op == Opcode::I32Mul || op == Opcode::I32And || op == Opcode::I32Or ||
         op == Opcode::I32Xor;
}
// Bytes a load reads / a store writes (a store of the same width as a load writes back the same bytes).
uint32_t access_size(Opcode op) {
  switch (op) {
    case Opcode::I32Load8S: case Opcode::I32Load8U: case Opcode::I64Load8S: case Opcode::I64Load8U:
    case Opcode::I32Store8: case Opcode::I64Store8:
      return 1;
    case Opcode::I32Load16S: case Opcode::I32Load16U: case Opcode::I64Load16S: case Opcode::I64Load16U:
    case Opcode::I32Store16: case Opcode::I64Store16:
      return 2;
    case Opcode::I32Load: case Opcode::F32Load: case Opcode::I64Load32S: case Opcode::I64Load32U:
    case Opcode::I32Store: case Opcode::F32Store: case Opcode::I64Store32:
      return 4;
    default:
      return 8;
  }
}

bool is_unary_sig(ir::Sig s) {
  using ir::Sig;
  switch (s) {
    case Sig::i_i: case Sig::l_l: case Sig::f_f: case Sig::d_d: case Sig::l_i: case Sig::f_i:
    case Sig::d_i: case Sig::i_l: case Sig::f_l: case Sig::d_l: case Sig::i_f: case Sig::l_f:
    case Sig::d_f: case Sig::i_d: case Sig::l_d: case Sig::f_d:
      return true;
    default:
      return false;
  }
}

bool is_binary_sig(ir::Sig s) {
  using ir::Sig;
  switch (s) {
    case Sig::ii_i: case Sig::ll_l: case Sig::ff_f: case Sig::dd_d: case Sig::ll_i: case Sig::ff_i:
    case Sig::dd_i:
      return true;
    default:
      return false;
  }
}

class FunctionCompiler {
 public:
  FunctionCompiler(const ir::Module& m, const ir::ConstantTable* table, uint32_t defined_index,
                   const void* const* handlers, const CompiledFunc& out)
      : m_(m), table_(table), fn_(m.functions[defined_index]), type_(m.types[fn_.type]), h_(handlers), out_(out),
        code_(out.code) {}

  Result<Ok, engine::Error> run();

 private:
  // ---- emission ----
  uint32_t begin(Op op) {
    uint32_t start = static_cast<uint32_t>(code_.size());
    code_.push_back(reinterpret_cast<uint64_t>(h_[static_cast<uint16_t>(op)]));
    return start;
  }
  void word(uint64_t w) { code_.push_back(w); }
  uint32_t here() const { return static_cast<uint32_t>(code_.size()); }
  void bind(const Fixup& f, uint32_t target) {
    int32_t off = static_cast<int32_t>(static_cast<int64_t>(target) - f.start);
    code_[f.word] = (code_[f.word] & 0xFFFFFFFF00000000ull) | static_cast<uint32_t>(off);
  }
  uint32_t rel(uint32_t start, uint32_t target) const {
    return static_cast<uint32_t>(static_cast<int32_t>(static_cast<int64_t>(target) - start));
  }
  // Up to four copies in a row become one instruction (register shuffles at block ends and loop
  // back-edges, a = b; c = d; ...), executed in order.
  void emit_copy(uint32_t dst, uint32_t src) {
    if (copy_end_ == here()) {
      static constexpr Op kForms[] = {Op::Copy, Op::Copy2, Op::Copy3, Op::Copy4};
      code_[copy_start_] = reinterpret_cast<uint64_t>(h_[static_cast<uint16_t>(kForms[copy_count_])]);
      word(pack(dst, src));
      ++copy_count_;
      copy_end_ = copy_count_ < 4 ? here() : kNone;
      return;
    }
    copy_start_ = begin(Op::Copy);
    word(pack(dst, src));
    copy_end_ = here();
    copy_count_ = 1;
  }
  // A declared local still holds its initial zero: nothing has written it, and no loop has begun
  // (code before the first loop runs at most once per call, in code order).
  bool known_zero(uint32_t slot) const {
    uint32_t np = static_cast<uint32_t>(type_.params.size());
    if (seen_loop_ || slot < np + kHeaderSlots || slot >= const_base_) return false;
    return zero_[slot - np - kHeaderSlots];
  }
  void forget_value_fusion() {
    producer_end_ = kNone;
    cmp_end_ = kNone;
    add_end_ = kNone;
    bin_end_ = kNone;
    load_end_ = kNone;
  }
  void forget_fusion() {
    copy_end_ = kNone;
    forget_value_fusion();
  }
  // True (and the add removed) when `addr` is the result of the i32.add emitted just before: the
  // memory access then computes the address itself, one dispatch instead of two.
  bool take_add(Entry addr, uint32_t& a, uint32_t& b) {
    if (addr.kind != Entry::Stack || add_end_ != here() || addr.slot != add_slot_) return false;
    code_.resize(add_start_);
    a = add_a_;
    b = add_b_;
    forget_fusion();
    return true;
  }
  // Records that the instruction just emitted writes its result to `dst` (low half of word 1).
  void produced(uint32_t start, uint32_t dst) {
    producer_end_ = here();
    producer_word_ = start + 1;
    producer_slot_ = dst;
  }

  // ---- virtual stack ----
  uint32_t height() const { return static_cast<uint32_t>(stack_.size()); }
  uint32_t slot_of(uint32_t pos) const { return stack_base_ + pos; }
  uint32_t push_stack() {
    uint32_t s = slot_of(height());
    stack_.push_back({Entry::Stack, s});
    max_height_ = std::max(max_height_, height());
    return s;
  }
  void push_entry(Entry e) {
    stack_.push_back(e);
    max_height_ = std::max(max_height_, height());
  }
  // Pops an operand that can be read from a slot (a deferred add is computed into its stack slot).
  Entry pop() {
    if (stack_.back().kind == Entry::Add) materialize(height() - 1);
    return pop_raw();
  }
  Entry pop_raw() {
    Entry e = stack_.back();
    stack_.pop_back();
    return e;
  }
  void emit_add(uint32_t dst, uint32_t a, uint32_t b) {
    begin(Op::I32Add);
    word(pack(dst, a));
    word(b);
  }
  void materialize(uint32_t pos) {
    Entry& e = stack_[pos];
    if (e.kind == Entry::Stack) return;
    uint32_t dst = slot_of(pos);
    if (e.kind == Entry::Add) emit_add(dst, e.slot, e.slot2);
    else emit_copy(dst, e.slot);
    e = {Entry::Stack, dst};
  }
  void materialize_all() {
    for (uint32_t i = 0; i < height(); ++i) materialize(i);
  }
  void materialize_top(uint32_t n) {
    for (uint32_t i = height() - n; i < height(); ++i) materialize(i);
  }
  // Before local `slot` is overwritten, every deferred read of it must take its value now.
  void materialize_local(uint32_t slot) {
    for (uint32_t i = 0; i < height(); ++i)
      if ((stack_[i].kind == Entry::Local && stack_[i].slot == slot) ||
          (stack_[i].kind == Entry::Add && (stack_[i].slot == slot || stack_[i].slot2 == slot)))
        materialize(i);
  }
  void reset_stack(uint32_t h) {
    stack_.resize(h);
    for (uint32_t i = 0; i < h; ++i) stack_[i] = {Entry::Stack, slot_of(i)};
    max_height_ = std::max(max_height_, h);
  }
  uint32_t local_slot(uint32_t local) const {
    uint32_t np = static_cast<uint32_t>(type_.params.size());
    return local < np ? local : np + kHeaderSlots + (local - np);
  }

  // ---- control ----
  void block_arity(const BlockType& bt, uint32_t& np, uint32_t& nr) const {
    switch (bt.kind) {
      case BlockType::Kind::Empty: np = 0; nr = 0; break;
      case BlockType::Kind::Value: np = 0; nr = 1; break;
      case BlockType::Kind::TypeIndex:
        np = static_cast<uint32_t>(m_.types[bt.type_index].params.size());
        nr = static_cast<uint32_t>(m_.types[bt.type_index].results.size());
        break;
    }
  }
  static bool invertible(Op br) { return br < Op::BrF32Eq || br > Op::BrF64Ge; }
  // `need_false`: the branch will be taken when the condition is false (if, or a br_if that moves
  // values), which needs the inverted compare.
  Cond take_cond(Entry c, bool need_false) {
    Cond cd;
    if (c.kind == Entry::Stack && cmp_end_ == here() && c.slot == cmp_slot_ &&
        (!need_false || invertible(cmp_op_))) {
      code_.resize(cmp_start_);  // the compare moves into the branch
      cd.fused = true;
      cd.op = cmp_op_;
      cd.a = cmp_a_;
      cd.b = cmp_b_;
    } else {
      cd.op = Op::BrNez;
      cd.a = c.slot;
    }
    forget_fusion();
    return cd;
  }
  // Emits a conditional jump (taken when the condition is `when`) with an unbound target.
  Fixup emit_cond_jump(const Cond& cd, bool when, bool back = false) {
    Op op = when ? cd.op : invert(cd.op);
    bool two_operand = op != Op::BrNez && op != Op::BrEqz && op != Op::BrI64Nez && op != Op::BrI64Eqz;
    if (back) op = back_of(op);
    uint32_t start = begin(op);
    if (two_operand) {
      word(0);
      word(pack(cd.a, cd.b));
    } else {
      word(pack(0, cd.a));
    }
    return {start + 1, start};
  }
  void emit_return() {
    uint32_t n = static_cast<uint32_t>(type_.results.size());
    uint32_t src = slot_of(height() - n);
    uint32_t hdr = static_cast<uint32_t>(type_.params.size());
    if (n == 0) {
      begin(Op::Ret0);
      word(pack(hdr, 0));
    } else if (n == 1) {
      begin(Op::Ret1);
      word(pack(hdr, src));
    } else {
      begin(Op::RetN);
      word(pack(hdr, src));
      word(n);
    }
  }
  // Unconditional branch to label `depth` with the values on top of the (materialised) stack.
  void emit_br(uint32_t depth) {
    Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
    if (c.kind == Ctrl::Func) {
      emit_return();
      return;
    }
    uint32_t n = c.kind == Ctrl::Loop ? c.nparams : c.nresults;
    uint32_t src = slot_of(height() - n);
    uint32_t dst = slot_of(c.height);
    uint32_t start;
    if (n == 0 || src == dst) {
      start = begin(c.kind == Ctrl::Loop ? Op::JumpBack : Op::Jump);
      word(0);
    } else if (n == 1) {
      start = begin(Op::BrCopy1);
      word(0);
      word(pack(src, dst));
    } else {
      start = begin(Op::BrCopyN);
      word(0);
      word(pack(src, dst));
      word(n);
    }
    Fixup f{start + 1, start};
    if (c.kind == Ctrl::Loop) bind(f, c.loop_start);
    else add_fixup(c, f);
  }
  bool br_needs_copy(uint32_t depth) const {
    const Ctrl& c = ctrls_[ctrls_.size() - 1 - depth];
    if (c.kind == Ctrl::Func) return true;  // a return
    uint32_t n = c.kind == Ctrl::Loop ? c.nparams : c.nresults;
    return n != 0 && height() - n != c.height;
  }
  void mark_unreachable() {
    ctrls_.back().unreachable = true;
    forget_fusion();
  }
  void add_fixup(Ctrl& c, Fixup f) {
    pending_.push_back({f, c.fixups});
    c.fixups = static_cast<uint32_t>(pending_.size() - 1);
  }
  // Every constant was collected (collect_constants), so the search always finds it.
  uint32_t const_slot(uint64_t v) const {
    auto it = std::lower_bound(const_values_.begin(), const_values_.end(), v);
    return const_base_ + static_cast<uint32_t>(it - const_values_.begin());
  }

  Result<Ok, engine::Error> collect_constants();
  Result<Ok, engine::Error> scan_constants();  // when validation gave no table
  // Per instruction, so a plain bool (a Result per instruction costs ~20 instructions): false leaves
  // the reason in error_.
  bool step(const Instr& in);
  void emit_end();
  void emit_else();

  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  const ir::Module& m_;
  const ir::ConstantTable* table_;  // null: collect_constants scans the body
  const ir::Function& fn_;
  const ir::FuncType& type_;
  const void* const* h_;
  const CompiledFunc& out_;
  std::vector<uint64_t>& code_;
  std::vector<Entry> stack_;
  std::vector<Ctrl> ctrls_;
  engine::Error error_;  // why step() failed
  std::vector<PendingFixup> pending_;
  std::vector<uint64_t> const_values_;  // the function's distinct constants, ascending: slot = const_base_ + rank
  uint32_t stack_base_ = 0;
  uint32_t max_height_ = 0;
  uint32_t skip_depth_ = 0;  // nesting inside unreachable code being skipped
  // Fusion windows: valid only while here() equals the recorded end.
  uint32_t producer_end_ = kNone, producer_word_ = 0, producer_slot_ = 0;
  uint32_t cmp_end_ = kNone, cmp_start_ = 0, cmp_a_ = 0, cmp_b_ = 0, cmp_slot_ = 0;
  uint32_t add_end_ = kNone, add_start_ = 0, add_a_ = 0, add_b_ = 0, add_slot_ = 0;
  uint32_t copy_end_ = kNone, copy_start_ = 0, copy_count_ = 0;
  // The binary operation just emitted into a stack temporary (fusable with a consumer), and the load.
  uint32_t bin_end_ = kNone, bin_start_ = 0, bin_a_ = 0, bin_b_ = 0, bin_slot_ = 0;
  Opcode bin_op_ = Opcode::Nop;
  uint32_t load_end_ = kNone, load_start_ = 0, load_x_ = 0, load_y_ = 0, load_off_ = 0, load_slot_ = 0;
  uint32_t load_size_ = 0;
  uint32_t zero_slot_ = 0;
  uint32_t const_base_ = 0;      // first constant slot
  bool seen_loop_ = false;
  std::vector<bool> zero_;       // per declared local: still its initial zero (see known_zero)
  Op cmp_op_ = Op::BrNez;
};

Result<Ok, engine::Error> FunctionCompiler::scan_constants() {
  binary::InstrReader reader(m_.range(fn_.body), fn_.body.offset);
  Instr in;  // reused: only the fields of the current opcode's immediates are meaningful
  while (!reader.at_end()) {
    if (!reader.next(in)) return fail(reader.error());
    switch (in.op) {
      case Opcode::I32Const: case Opcode::F32Const: const_values_.push_back(static_cast<uint32_t>(in.value)); break;
      case Opcode::I64Const: case Opcode::F64Const: const_values_.push_back(in.value); break;
      default: break;  // ref.null's 0 is always added
    }
  }
  return Ok{};
}

Result<Ok, engine::Error> FunctionCompiler::collect_constants() {
  uint32_t base = static_cast<uint32_t>(type_.params.size()) + kHeaderSlots + fn_.num_locals;
  // Validation lists them (ir::ConstantTable); without that table, one pass over the body finds them.
  if (table_) {
    std::span<const uint64_t> known = table_->of(out_.defined_index);
    const_values_.assign(known.begin(), known.end());
  } else if (auto r = scan_constants(); !r) {
    return r;
  }
  // Zero is always present: a fused memory copy uses it as the second addend of a plain address.
  const_values_.push_back(0);
  // Sorted and unique rather than a hash map: no allocation per constant, and const_slot's binary
  // search is as cheap for the few dozen constants of a typical function.
  std::sort(const_values_.begin(), const_values_.end());
  const_values_.erase(std::unique(const_values_.begin(), const_values_.end()), const_values_.end());
  const_base_ = base;
  zero_slot_ = const_slot(0);
  stack_base_ = base + static_cast<uint32_t>(const_values_.size());
  zero_.assign(fn_.num_locals, true);
  return Ok{};
}

void FunctionCompiler::emit_else() {
  Ctrl& c = ctrls_.back();
  if (!c.unreachable) {
    materialize_all();
    uint32_t start = begin(Op::Jump);
    word(0);
    add_fixup(c, {start + 1, start});
  }
  if (c.has_else_jump) bind(c.else_jump, here());
  c.has_else_jump = false;
  c.unreachable = false;
  reset_stack(c.height + c.nparams);
  forget_fusion();
}

void FunctionCompiler::emit_end() {
  Ctrl& c = ctrls_.back();
  if (!c.unreachable) materialize_all();
  uint32_t target = here();
  if (c.has_else_jump) bind(c.else_jump, target);
  for (uint32_t i = c.fixups; i != kNoFixup; i = pending_[i].next) bind(pending_[i].fixup, target);
  uint32_t h = c.height + c.nresults;
  bool func = c.kind == Ctrl::Func;
  ctrls_.pop_back();
  reset_stack(h);
  forget_fusion();
  if (func) emit_return();
}

bool FunctionCompiler::step(const Instr& in) {
  const ir::OpcodeInfo& info = ir::info(in.op);
  // Unreachable code (after br/return/unreachable) is skipped to its matching else/end: it can never
  // run, and the validator has already type-checked it.
  if (ctrls_.back().unreachable) {
    switch (in.op) {
      case Opcode::Block: case Opcode::Loop: case Opcode::If: ++skip_depth_; return true;
      case Opcode::Else:
        if (skip_depth_ == 0) emit_else();
        return true;
      case Opcode::End:
        if (skip_depth_ == 0) emit_end();
        else --skip_depth_;
        return true;
      default: return true;
    }
  }

  switch (in.op) {
    // ---- control ----
    case Opcode::Unreachable:
      begin(Op::Unreachable);
      mark_unreachable();
      return true;
    case Opcode::Nop:
      return true;
    case Opcode::Block:
    case Opcode::Loop: {
      materialize_all();
      forget_fusion();
      Ctrl c;
      block_arity(in.block, c.nparams, c.nresults);
      c.kind = in.op == Opcode::Loop ? Ctrl::Loop : Ctrl::Block;
      c.height = height() - c.nparams;
      // No code at the header: branches back to it check for interruption (JumpBack, *Back).
      if (c.kind == Ctrl::Loop) {
        c.loop_start = here();
        seen_loop_ = true;
      }
      ctrls_.push_back(std::move(c));
      return true;
    }
    case Opcode::If: {
      Cond cd = take_cond(pop(), true);
      materialize_all();
      Ctrl c;
      block_arity(in.block, c.nparams, c.nresults);
      c.kind = Ctrl::If;
      c.height = height() - c.nparams;
      c.else_jump = emit_cond_jump(cd, false);
      c.has_else_jump = true;
      ctrls_.push_back(std::move(c));
      return true;
    }
    case Opcode::Else:
      emit_else();
      return true;
    case Opcode::End:
      emit_end();
      return true;
    case Opcode::Br:
      materialize_all();
      emit_br(in.a);
      mark_unreachable();
      return true;
    case Opcode::BrIf: {
      Entry c = pop();
      bool moves = br_needs_copy(in.a);
      Cond cd = take_cond(c, moves);
      materialize_all();
      if (!moves) {
        Ctrl& c = ctrls_[ctrls_.size() - 1 - in.a];
        Fixup f = emit_cond_jump(cd, true, c.kind == Ctrl::Loop);
        if (c.kind == Ctrl::Loop) bind(f, c.loop_start);
        else add_fixup(c, f);
      } else {
        // Values move only when the branch is taken: jump over the moving branch otherwise.
        Fixup skip = emit_cond_jump(cd, false);
        emit_br(in.a);
        bind(skip, here());
      }
      return true;
    }
    case Opcode::BrTable: {
      Entry idx = pop();
      materialize_all();
      uint32_t count = static_cast<uint32_t>(in.targets.size()) - 1;
      const Ctrl& d = ctrls_[ctrls_.size() - 1 - in.targets.back()];
      uint32_t n = d.kind == Ctrl::Loop ? d.nparams : d.nresults;
      uint32_t src = slot_of(height() - n);
      uint32_t start = begin(Op::BrTableOp);
      word(pack(idx.slot, n));
      word(pack(src, count));
      for (uint32_t t : in.targets) {
        Ctrl& c = ctrls_[ctrls_.size() - 1 - t];
        uint32_t w = here();
        word(pack(0, slot_of(c.height)));
        Fixup f{w, start};
        if (c.kind == Ctrl::Loop) bind(f, c.loop_start);
        else add_fixup(c, f);  // the function label's end holds its return
      }
      mark_unreachable();
      return true;
    }
    case Opcode::Return:
      materialize_all();
      emit_return();
      mark_unreachable();
      return true;
    case Opcode::Call: {
      const ir::FuncType& ft = m_.func_type(in.a);
      uint32_t np = static_cast<uint32_t>(ft.params.size());
      // Arguments must sit in consecutive slots: they become the callee's parameter slots.
      materialize_top(np);
      forget_fusion();
      uint32_t args = slot_of(height() - np);
      begin(Op::CallOp);
      word(pack(in.a, args));
      for (uint32_t i = 0; i < np; ++i) pop();
      for (size_t i = 0; i < ft.results.size(); ++i) push_stack();
      return true;
    }
    case Opcode::CallIndirect: {
      const ir::FuncType& ft = m_.types[in.a];
      uint32_t np = static_cast<uint32_t>(ft.params.size());
      Entry idx = pop();
      materialize_top(np);
      forget_fusion();
      uint32_t args = slot_of(height() - np);
      begin(Op::CallIndirectOp);
      word(pack(in.b, in.a));
      word(pack(idx.slot, args));
      for (uint32_t i = 0; i < np; ++i) pop();
      for (size_t i = 0; i < ft.results.size(); ++i) push_stack();
      return true;
    }

    // ---- parametric ----
    case Opcode::Drop:
      pop_raw();
      return true;
    case Opcode::Select:
    case Opcode::SelectT: {
      Entry c = pop(), b = pop(), a = pop();
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::SelectOp);
      word(pack(dst, a.slot));
      word(pack(b.slot, c.slot));
      produced(start, dst);
      return true;
    }

    // ---- variables ----
    case Opcode::LocalGet:
      push_entry({Entry::Local, local_slot(in.a)});
      return true;
    case Opcode::LocalSet:
    case Opcode::LocalTee: {
      uint32_t slot = local_slot(in.a);
      if (stack_.back().kind == Entry::Add) {
        // The deferred add writes the local directly (after pending reads of it are taken).
        Entry e = pop_raw();
        materialize_local(slot);
        emit_add(slot, e.slot, e.slot2);
        if (in.a >= type_.params.size()) zero_[in.a - type_.params.size()] = false;
        forget_value_fusion();
        copy_end_ = kNone;
        if (in.op == Opcode::LocalTee) push_entry({Entry::Local, slot});
        return true;
      }
      Entry e = pop();
      if (!(e.kind == Entry::Local && e.slot == slot)) {
        bool fusable = e.kind == Entry::Stack && producer_end_ == here() && e.slot == producer_slot_;
        materialize_local(slot);  // emits code when needed, which closes the fusion window
        if (fusable && producer_end_ == here()) {
          code_[producer_word_] = (code_[producer_word_] & 0xFFFFFFFF00000000ull) | slot;
        } else if (!(e.kind == Entry::Const && const_values_[e.slot - const_base_] == 0 && known_zero(slot))) {
          emit_copy(slot, e.slot);
        }
        if (in.a >= type_.params.size()) zero_[in.a - type_.params.size()] = false;
      }
      forget_value_fusion();  // a following copy may still pair with this one
      if (in.op == Opcode::LocalTee) push_entry(e.kind == Entry::Const ? e : Entry{Entry::Local, slot});
      return true;
    }
    case Opcode::GlobalGet: {
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::GlobalGet);
      word(pack(dst, in.a));
      produced(start, dst);
      return true;
    }
    case Opcode::GlobalSet: {
      Entry a = pop();
      begin(Op::GlobalSet);
      word(pack(a.slot, in.a));
      return true;
    }

    // ---- constants ----
    case Opcode::I32Const: push_entry({Entry::Const, const_slot(static_cast<uint32_t>(in.value))}); return true;
    case Opcode::I64Const: case Opcode::F64Const: push_entry({Entry::Const, const_slot(in.value)}); return true;
    case Opcode::F32Const: push_entry({Entry::Const, const_slot(static_cast<uint32_t>(in.value))}); return true;
    case Opcode::RefNull: push_entry({Entry::Const, const_slot(0)}); return true;

    // ---- references ----
    case Opcode::RefIsNull: {
      Entry a = pop();
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::RefIsNull);
      word(pack(dst, a.slot));
      produced(start, dst);
      return true;
    }
    case Opcode::RefFunc: {
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::RefFunc);
      word(pack(dst, in.a));
      produced(start, dst);
      return true;
    }

    // ---- tables ----
    case Opcode::TableGet: {
      Entry i = pop();
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::TableGet);
      word(pack(dst, i.slot));
      word(in.a);
      produced(start, dst);
      return true;
    }
    case Opcode::TableSet: {
      Entry v = pop(), i = pop();
      begin(Op::TableSet);
      word(pack(i.slot, v.slot));
      word(in.a);
      return true;
    }
    case Opcode::TableSize: {
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::TableSize);
      word(pack(dst, in.a));
      produced(start, dst);
      return true;
    }
    case Opcode::TableGrow: {
      Entry n = pop(), init = pop();
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::TableGrow);
      word(pack(dst, init.slot));
      word(pack(n.slot, in.a));
      produced(start, dst);
      return true;
    }
    case Opcode::TableFill: {
      Entry n = pop(), v = pop(), i = pop();
      begin(Op::TableFill);
      word(pack(i.slot, v.slot));
      word(pack(n.slot, in.a));
      return true;
    }
    case Opcode::TableCopy: {
      Entry n = pop(), s = pop(), d = pop();
      begin(Op::TableCopy);
      word(pack(d.slot, s.slot));
      word(pack(n.slot, in.a));
      word(in.b);
      return true;
    }
    case Opcode::TableInit: {
      Entry n = pop(), s = pop(), d = pop();
      begin(Op::TableInit);
      word(pack(d.slot, s.slot));
      word(pack(n.slot, in.a));
      word(in.b);
      return true;
    }
    case Opcode::ElemDrop:
      begin(Op::ElemDrop);
      word(in.a);
      return true;

    // ---- memory (besides plain loads and stores) ----
    case Opcode::MemorySize: {
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::MemorySize);
      word(pack(dst, 0));
      produced(start, dst);
      return true;
    }
    case Opcode::MemoryGrow: {
      Entry a = pop();
      uint32_t dst = push_stack();
      uint32_t start = begin(Op::MemoryGrow);
      word(pack(dst, a.slot));
      produced(start, dst);
      return true;
    }
    case Opcode::MemoryInit: {
      Entry n = pop(), s = pop(), d = pop();
      begin(Op::MemoryInit);
      word(pack(d.slot, s.slot));
      word(pack(n.slot, in.a));
      return true;
    }
    case Opcode::DataDrop:
      begin(Op::DataDrop);
      word(in.a);
      return true;
    case Opcode::MemoryCopy:
    case Opcode::MemoryFill: {
      Entry n = pop(), s = pop(), d = pop();
      begin(in.op == Opcode::MemoryCopy ? Op::MemoryCopy : Op::MemoryFill);
      word(pack(d.slot, s.slot));
      word(n.slot);
      return true;
    }
    default:
      break;
  }

  Op op = static_cast<Op>(static_cast<uint16_t>(in.op));
  if (info.imm == ir::Imm::MemArg) {
    uint32_t x, y;
    uint32_t offset = static_cast<uint32_t>(in.mem_offset);  // memory32: validated to fit in u32
    if (is_unary_sig(info.sig)) {  // load
      Entry a = pop_raw();
      bool fused = a.kind == Entry::Add ? (x = a.slot, y = a.slot2, true) : take_add(a, x, y);
      uint32_t dst = push_stack();
      uint32_t start;
      if (fused) {
        Op fop = static_cast<Op>(static_cast<uint16_t>(Op::AddI32Load) + static_cast<uint16_t>(in.op) -
                                 static_cast<uint16_t>(Opcode::I32Load));
        start = begin(fop);
        word(pack(dst, x));
        word(pack(y, offset));
        produced(start, dst);
      } else {
        start = begin(op);
        word(pack(dst, a.slot));
        word(offset);
        produced(start, dst);
        x = a.slot;
        y = zero_slot_;
      }
      load_end_ = here();
      load_start_ = start;
      load_x_ = x;
      load_y_ = y;
      load_off_ = offset;
      load_slot_ = dst;
      load_size_ = access_size(in.op);
    } else {  // store
      Entry v = pop(), a = pop_raw();
      if (v.kind == Entry::Stack && load_end_ == here() && v.slot == load_slot_ &&
          load_size_ == access_size(in.op)) {
        // The stored value is the load just emitted, same width: one copy through memory. The
        // address entry is read after the load either way (a load writes no local).
        uint32_t sx = load_x_, sy = load_y_, soff = load_off_;
        code_.resize(load_start_);
        forget_fusion();
        if (a.kind == Entry::Add) x = a.slot, y = a.slot2;
        else x = a.slot, y = zero_slot_;
        uint32_t sz = load_size_;
        begin(sz == 1 ? Op::MemCopy1 : sz == 2 ? Op::MemCopy2 : sz == 4 ? Op::MemCopy4 : Op::MemCopy8);
        word(pack(x, y));
        word(pack(sx, sy));
        word(pack(offset, soff));
        return true;
      }
      if (a.kind == Entry::Add ? (x = a.slot, y = a.slot2, true) : take_add(a, x, y)) {
        Op fop = static_cast<Op>(static_cast<uint16_t>(Op::AddI32Store) + static_cast<uint16_t>(in.op) -
                                 static_cast<uint16_t>(Opcode::I32Store));
        begin(fop);
        word(pack(x, y));
        word(pack(v.slot, offset));
      } else {
        begin(op);
        word(pack(a.slot, v.slot));
        word(offset);
      }
    }
    return true;
  }
  if (info.imm == ir::Imm::None && is_unary_sig(info.sig)) {
    Entry a = pop();
    uint32_t dst = push_stack();
    uint32_t start = begin(op);
    word(pack(dst, a.slot));
    produced(start, dst);
    if (in.op == Opcode::I32Eqz || in.op == Opcode::I64Eqz) {
      cmp_end_ = here();
      cmp_start_ = start;
      cmp_op_ = branch_form(in.op);
      cmp_a_ = a.slot;
      cmp_b_ = 0;
      cmp_slot_ = dst;
    }
    return true;
  }
  if (info.imm == ir::Imm::None && is_binary_sig(info.sig)) {
    if (in.op == Opcode::I32Add) {
      Entry& tb = stack_[height() - 1];
      Entry& ta = stack_[height() - 2];
      if ((ta.kind == Entry::Local || ta.kind == Entry::Const) && (tb.kind == Entry::Local || tb.kind == Entry::Const)) {
        Entry e{Entry::Add, ta.slot, tb.slot};
        pop_raw();
        pop_raw();
        push_entry(e);
        return true;
      }
    }
    Entry b = pop(), a = pop();
    if (bin_end_ == here()) {
      // The previous instruction computed one operand into a stack temporary: fold it in.
      int i1 = -1, i2 = -1;
      Op base = Op::kCount;
      uint32_t c = 0;
      bool left = a.kind == Entry::Stack && a.slot == bin_slot_;
      bool right = b.kind == Entry::Stack && b.slot == bin_slot_;
      if ((i1 = fused_i32_index(bin_op_)) >= 0 && (i2 = fused_i32_index(in.op)) >= 0) {
        if (left) base = Op::FI32Add_Add, c = b.slot;
        else if (right && commutative_i32(in.op)) base = Op::FI32Add_Add, c = a.slot;
        if (base != Op::kCount) i1 = i1 * kFusedI32 + i2;
      } else if ((i1 = fused_f64_index(bin_op_)) >= 0 && (i2 = fused_f64_index(in.op)) >= 0) {
        if (left) base = Op::FF64Add_Add, c = b.slot;
        else if (right) base = Op::RF64Add_Add, c = a.slot;
        if (base != Op::kCount) i1 = i1 * kFusedF64 + i2;
      }
      if (base != Op::kCount) {
        uint32_t ba = bin_a_, bb = bin_b_;
        code_.resize(bin_start_);
        forget_fusion();
        uint32_t dst = push_stack();
        uint32_t start = begin(static_cast<Op>(static_cast<uint16_t>(base) + i1));
        word(pack(dst, ba));
        word(pack(bb, c));
        produced(start, dst);
        return true;
      }
    }
    uint32_t dst = push_stack();
    uint32_t start = begin(op);
    word(pack(dst, a.slot));
    word(b.slot);
    produced(start, dst);
    if (fused_i32_index(in.op) >= 0 || fused_f64_index(in.op) >= 0) {
      bin_end_ = here();
      bin_start_ = start;
      bin_op_ = in.op;
      bin_a_ = a.slot;
      bin_b_ = b.slot;
      bin_slot_ = dst;
    }
    if (in.op == Opcode::I32Add) {
      add_end_ = here();
      add_start_ = start;
      add_a_ = a.slot;
      add_b_ = b.slot;
      add_slot_ = dst;
    }
    Op br = branch_form(in.op);
    if (br != Op::kCount) {
      cmp_end_ = here();
      cmp_start_ = start;
      cmp_op_ = br;
      cmp_a_ = a.slot;
      cmp_b_ = b.slot;
      cmp_slot_ = dst;
    }
    return true;
  }
  error_ = engine::Error{engine::ErrorKind::Unsupported, std::string("interpreter: cannot compile ") + info.text +
                                                          " in function " + std::to_string(out_.func_index)};
  return false;
}

Result<Ok, engine::Error> FunctionCompiler::run() {
  uint32_t np = static_cast<uint32_t>(type_.params.size());
  uint64_t fixed = uint64_t{np} + kHeaderSlots + fn_.num_locals;
  if (fixed > kMaxSlots)
    return fail(engine::Error{engine::ErrorKind::Limit,
                              "function " + std::to_string(out_.func_index) + " has too many locals"});
  if (auto r = collect_constants(); !r) return fail(std::move(r).error());

  Ctrl fc;
  fc.kind = Ctrl::Func;
  fc.nresults = static_cast<uint32_t>(type_.results.size());
  ctrls_.push_back(std::move(fc));

  // Compiled code measures ~0.46 words per body byte (wasi-libc's printf path: 5101 words from 11175
  // bytes): reserving half a word per byte makes one allocation of about the right size, not a dozen
  // doublings, and usually leaves nothing worth a shrinking copy below.
  code_.reserve(fn_.body.size / 2 + 16);
  binary::InstrReader reader(m_.range(fn_.body), fn_.body.offset);
  Instr in;  // reused (allocation-free decoding): step() reads only the current opcode's immediates
  while (!reader.at_end() && !ctrls_.empty()) {
    if (!reader.next(in)) return fail(reader.error());
    if (!step(in)) return fail(std::move(error_));
    if (uint64_t{stack_base_} + max_height_ > kMaxSlots)
      return fail(engine::Error{engine::ErrorKind::Limit,
                                "function " + std::to_string(out_.func_index) + " needs too many slots"});
  }
  // Results are copied to slot 0.. on return; make sure they fit even in a frame with few slots.
  out_.init.assign(fn_.num_locals, 0);
  out_.init.insert(out_.init.end(), const_values_.begin(), const_values_.end());
  // The call path copies `init` two words at a time: pad it, and keep the pad inside the frame.
  if (out_.init.size() % 2) out_.init.push_back(0);
  out_.frame_size = std::max({stack_base_ + max_height_, out_.num_results,
                              np + kHeaderSlots + static_cast<uint32_t>(out_.init.size())});
  if (code_.capacity() - code_.size() > code_.size() / 4) code_.shrink_to_fit();  // only a real waste
  return Ok{};
}

}  // namespace

Result<CompiledModule*, engine::Error> compile(const ir::Module& module, const ir::ConstantTable* constants) {
  // Only the frame facts the runtime and backtraces need now; the code itself on first call.
  auto code = std::make_unique<CompiledModule>();
  code->module = &module;
  code->constants = constants;
  code->handlers = handler_table();
  for (uint32_t i = 0; i < module.functions.size(); ++i) {
    const ir::FuncType& t = module.types[module.functions[i].type];
    CompiledFunc& f = code->funcs.emplace_back();
    f.func_index = module.num_imported_funcs + i;
    f.defined_index = i;
    f.num_params = static_cast<uint32_t>(t.params.size());
    f.num_results = static_cast<uint32_t>(t.results.size());
    f.hdr = f.num_params;
    f.owner = code.get();
    if (uint64_t{f.num_params} + kHeaderSlots + module.functions[i].num_locals > kMaxSlots)
      return fail(engine::Error{engine::ErrorKind::Limit,
                                "function " + std::to_string(f.func_index) + " has too many locals"});
  }
  return code.release();
}

const uint64_t* ensure_compiled(const CompiledFunc& f) {
  if (const uint64_t* e = f.entry.load(std::memory_order_acquire)) return e;
  CompiledModule& owner = *f.owner;
  std::lock_guard<std::mutex> lock(owner.compile_mutex);
  if (const uint64_t* e = f.entry.load(std::memory_order_relaxed)) return e;  // another thread won
  FunctionCompiler fc(*owner.module, owner.constants, f.defined_index, owner.handlers, f);
  if (!fc.run()) {
    f.code.clear();
    f.init.clear();
    return nullptr;
  }
  f.init_data = f.init.data();
  f.init_count = static_cast<uint32_t>(f.init.size());
  f.entry.store(f.code.data(), std::memory_order_release);
  return f.code.data();
}

void destroy(CompiledModule* code) { delete code; }

const CompiledFunc* function(const CompiledModule& code, uint32_t defined_index) {
  return &code.funcs[defined_index];
}

}  // namespace wasipool::interp
