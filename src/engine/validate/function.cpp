// Function bodies: the spec's validation algorithm (appendix "Validation Algorithm") — an operand
// stack whose entries may be Unknown, a control stack of frames, and stack polymorphism after
// unreachable/br/return. One FunctionValidator is reused for every body of a module so its vectors
// are allocated once: no allocation per instruction (this runs on every module load).
#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "../binary/instr_reader.h"
#include "context.h"

namespace wasipool::validate {
namespace {

using engine::Error;
using engine::ErrorKind;
using ir::Opcode;
using ir::ValType;

// Operand types: the ValType encodings, plus 0 for the spec's Unknown (a value produced in
// unreachable code, compatible with every type).
using VT = uint8_t;
constexpr VT kUnknown = 0;
constexpr VT kI32 = static_cast<VT>(ValType::I32);
constexpr VT kI64 = static_cast<VT>(ValType::I64);
constexpr VT kF32 = static_cast<VT>(ValType::F32);
constexpr VT kF64 = static_cast<VT>(ValType::F64);
constexpr VT kFuncRef = static_cast<VT>(ValType::FuncRef);
inline VT vt(ValType t) { return static_cast<VT>(t); }

const char* vt_name(VT t) { return t == kUnknown ? "unknown" : ir::name_of(static_cast<ValType>(t)); }
bool vt_is_ref(VT t) { return t == vt(ValType::FuncRef) || t == vt(ValType::ExternRef); }

// Storage for the one-value block types `(result t)`, so every frame's types are a pointer + count.
constexpr ValType kSingle[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64,
                               ValType::FuncRef, ValType::ExternRef};
const ValType* single(ValType t) {
  for (const ValType& s : kSingle)
    if (s == t) return &s;
  return nullptr;
}

// Stack signatures of the "simple" operators, indexed by ir::Sig.
struct SigTypes {
  uint8_t num_params;
  VT params[2];
  uint8_t num_results;
  VT result;
};
constexpr SigTypes sig_types(ir::Sig s) {
  using S = ir::Sig;
  switch (s) {
    case S::Special: return {0, {0, 0}, 0, 0};
    case S::v_i: return {0, {0, 0}, 1, kI32};
    case S::v_l: return {0, {0, 0}, 1, kI64};
    case S::v_f: return {0, {0, 0}, 1, kF32};
    case S::v_d: return {0, {0, 0}, 1, kF64};
    case S::i_i: return {1, {kI32, 0}, 1, kI32};
    case S::l_l: return {1, {kI64, 0}, 1, kI64};
    case S::f_f: return {1, {kF32, 0}, 1, kF32};
    case S::d_d: return {1, {kF64, 0}, 1, kF64};
    case S::ii_i: return {2, {kI32, kI32}, 1, kI32};
    case S::ll_l: return {2, {kI64, kI64}, 1, kI64};
    case S::ff_f: return {2, {kF32, kF32}, 1, kF32};
    case S::dd_d: return {2, {kF64, kF64}, 1, kF64};
    case S::l_i: return {1, {kI64, 0}, 1, kI32};
    case S::ll_i: return {2, {kI64, kI64}, 1, kI32};
    case S::ff_i: return {2, {kF32, kF32}, 1, kI32};
    case S::dd_i: return {2, {kF64, kF64}, 1, kI32};
    case S::f_i: return {1, {kF32, 0}, 1, kI32};
    case S::d_i: return {1, {kF64, 0}, 1, kI32};
    case S::i_l: return {1, {kI32, 0}, 1, kI64};
    case S::f_l: return {1, {kF32, 0}, 1, kI64};
    case S::d_l: return {1, {kF64, 0}, 1, kI64};
    case S::i_f: return {1, {kI32, 0}, 1, kF32};
    case S::l_f: return {1, {kI64, 0}, 1, kF32};
    case S::d_f: return {1, {kF64, 0}, 1, kF32};
    case S::i_d: return {1, {kI32, 0}, 1, kF64};
    case S::l_d: return {1, {kI64, 0}, 1, kF64};
    case S::f_d: return {1, {kF32, 0}, 1, kF64};
    case S::ii_v: return {2, {kI32, kI32}, 0, 0};
    case S::il_v: return {2, {kI32, kI64}, 0, 0};
    case S::if_v: return {2, {kI32, kF32}, 0, 0};
    case S::id_v: return {2, {kI32, kF64}, 0, 0};
  }
  return {0, {0, 0}, 0, 0};
}

constexpr auto kSigTable = [] {
  std::array<SigTypes, static_cast<size_t>(ir::Sig::id_v) + 1> t{};
  for (size_t i = 0; i < t.size(); ++i) t[i] = sig_types(static_cast<ir::Sig>(i));
  return t;
}();

// The opcode table, copied once so the per-instruction lookup is an inline array read.
struct InfoTable {
  ir::OpcodeInfo info[static_cast<size_t>(Opcode::kCount)];
  InfoTable() {
    for (size_t i = 0; i < static_cast<size_t>(Opcode::kCount); ++i) info[i] = ir::info(static_cast<Opcode>(i));
  }
};
const InfoTable kInfo;

struct Frame {
  Opcode op;
  const ValType* params;
  uint32_t num_params;
  const ValType* results;
  uint32_t num_results;
  uint32_t height;   // operand stack height at entry (after the params were popped)
  bool unreachable;  // the rest of this block is unreachable: the stack below is polymorphic
  // Branch target types: a loop's label takes its params, every other block its results.
  const ValType* label_types() const { return op == Opcode::Loop ? params : results; }
  uint32_t label_arity() const { return op == Opcode::Loop ? num_params : num_results; }
};

class FunctionValidator {
 public:
  explicit FunctionValidator(const Context& ctx) : ctx_(ctx), m_(ctx.module) {}

  Result<Ok, Error> run(uint32_t func_index);

 private:
  // --- failure: remembered once, formatted once ----------------------------------------------
  [[gnu::noinline, gnu::cold]] bool error(std::string reason, std::string detail = {},
                                         ErrorKind kind = ErrorKind::Invalid) {
    reason_ = std::move(reason);
    detail_ = std::move(detail);
    kind_ = kind;
    return false;
  }
  [[gnu::noinline, gnu::cold]] bool mismatch(VT expected, VT got) {
    return error("type mismatch", std::string("expected ") + vt_name(expected) + ", got " + vt_name(got));
  }

  // --- operand stack ---------------------------------------------------------------------------
  void push(VT t) { vals_.push_back(t); }
  // Pop one value, checking it against `expected` (kUnknown = any).
  // Hot: inlined, with every failure in an out-of-line cold function.
  bool pop(VT expected, VT* out = nullptr) {
    const Frame& f = ctrls_.back();
    if (__builtin_expect(vals_.size() == f.height, 0)) return pop_at_frame_bottom(expected, out);
    const VT actual = vals_.back();
    vals_.pop_back();
    if (__builtin_expect(actual != expected && actual != kUnknown && expected != kUnknown, 0))
      return mismatch(expected, actual);
    if (out) *out = actual;
    return true;
  }
  // Popping at the frame's base: Unknown in unreachable code, else an error.
  [[gnu::noinline]] bool pop_at_frame_bottom(VT expected, VT* out) {
    if (ctrls_.back().unreachable) {
      if (out) *out = kUnknown;
      return true;
    }
    return error("type mismatch", std::string("expected ") +
                                      (expected == kUnknown ? "a value" : vt_name(expected)) +
                                      " but the stack is empty");
  }
  bool pop_types(const ValType* types, uint32_t n) {
    for (uint32_t i = n; i-- > 0;)
      if (!pop(vt(types[i]))) return false;
    return true;
  }
  void push_types(const ValType* types, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) push(vt(types[i]));
  }

  // --- control stack ---------------------------------------------------------------------------
  void push_ctrl(Opcode op, const ValType* params, uint32_t np, const ValType* results, uint32_t nr) {
    ctrls_.push_back(Frame{op, params, np, results, nr, static_cast<uint32_t>(vals_.size()), false});
    push_types(params, np);
  }
  bool pop_ctrl(Frame& out) {
    const Frame& f = ctrls_.back();
    if (!pop_types(f.results, f.num_results)) return false;
    if (vals_.size() != f.height)
      return error("type mismatch", std::to_string(vals_.size() - f.height) +
                                        " value(s) left on the stack at the end of the block");
    out = f;
    ctrls_.pop_back();
    return true;
  }
  void set_unreachable() {
    Frame& f = ctrls_.back();
    vals_.resize(f.height);
    f.unreachable = true;
  }

  // --- instruction groups ----------------------------------------------------------------------
  bool block_type(const binary::BlockType& bt, const ValType*& params, uint32_t& np,
                  const ValType*& results, uint32_t& nr);
  bool label(uint32_t depth, const Frame*& out);
  bool instr(const binary::Instr& in);
  bool memory_index(const char* op);
  bool table_index(uint32_t t, ValType* elem);
  bool local_type(uint32_t index, VT& out) {
    if (__builtin_expect(index >= locals_.size(), 0)) return unknown_local(index);
    out = locals_[index];
    return true;
  }
  [[gnu::noinline, gnu::cold]] bool unknown_local(uint32_t index) {
    return error(unknown("local", index), "function has " + std::to_string(locals_.size()));
  }

  const Context& ctx_;
  const ir::Module& m_;
  std::vector<VT> vals_;
  std::vector<Frame> ctrls_;
  std::vector<VT> locals_;   // params then declared locals, expanded (the decoder caps the count)
  std::vector<VT> scratch_;  // br_table: values popped for one target and pushed back
  const ir::FuncType* type_ = nullptr;

  std::string reason_;
  std::string detail_;
  ErrorKind kind_ = ErrorKind::Invalid;
};

bool FunctionValidator::block_type(const binary::BlockType& bt, const ValType*& params, uint32_t& np,
                                   const ValType*& results, uint32_t& nr) {
  params = nullptr;
  np = 0;
  results = nullptr;
  nr = 0;
  switch (bt.kind) {
    case binary::BlockType::Kind::Empty:
      return true;
    case binary::BlockType::Kind::Value:
      results = single(bt.value);
      nr = results ? 1 : 0;
      return true;
    case binary::BlockType::Kind::TypeIndex: {
      if (bt.type_index >= m_.types.size())
        return error(unknown("type", bt.type_index), "block type; " + has_count(m_.types.size()));
      const ir::FuncType& t = m_.types[bt.type_index];
      params = t.params.data();
      np = static_cast<uint32_t>(t.params.size());
      results = t.results.data();
      nr = static_cast<uint32_t>(t.results.size());
      return true;
    }
  }
  return true;
}

bool FunctionValidator::label(uint32_t depth, const Frame*& out) {
  if (depth >= ctrls_.size())
    return error(unknown("label", depth), "depth " + std::to_string(depth) + " with " +
                                      std::to_string(ctrls_.size()) + " enclosing blocks");
  out = &ctrls_[ctrls_.size() - 1 - depth];
  return true;
}

bool FunctionValidator::memory_index(const char* op) {
  if (m_.total_memories() == 0) return error(unknown("memory", 0), std::string(op) + " without a memory");
  return true;
}

bool FunctionValidator::table_index(uint32_t t, ValType* elem) {
  if (t >= m_.total_tables())
    return error(unknown("table", t), has_count(m_.total_tables()));
  if (elem) *elem = m_.table_types[t].elem;
  return true;
}

bool FunctionValidator::instr(const binary::Instr& in) {
  const Opcode op = in.op;
  const ir::OpcodeInfo& info = kInfo.info[static_cast<size_t>(op)];

  if (info.sig != ir::Sig::Special) {
    if (info.imm == ir::Imm::MemArg) {
      if (!memory_index(info.text)) return false;
      if (in.align > info.natural_align)
        return error("alignment must not be larger than natural",
                     std::string(info.text) + " with alignment 2^" + std::to_string(in.align));
    } else if (info.imm == ir::Imm::Memory) {
      if (!memory_index(info.text)) return false;
    }
    const SigTypes& s = kSigTable[static_cast<size_t>(info.sig)];
    for (uint32_t i = s.num_params; i-- > 0;)
      if (!pop(s.params[i])) return false;
    if (s.num_results) push(s.result);
    return true;
  }

  switch (op) {
    case Opcode::Unreachable:
      set_unreachable();
      return true;
    case Opcode::Nop:
      return true;

    case Opcode::Block:
    case Opcode::Loop:
    case Opcode::If: {
      const ValType *params, *results;
      uint32_t np, nr;
      if (!block_type(in.block, params, np, results, nr)) return false;
      if (op == Opcode::If && !pop(kI32)) return false;
      if (!pop_types(params, np)) return false;
      push_ctrl(op, params, np, results, nr);
      return true;
    }
    case Opcode::Else: {
      if (ctrls_.back().op != Opcode::If)
        return error("else without matching if", {}, ErrorKind::Malformed);
      Frame f;
      if (!pop_ctrl(f)) return false;
      push_ctrl(Opcode::Else, f.params, f.num_params, f.results, f.num_results);
      return true;
    }
    case Opcode::End: {
      Frame f;
      if (!pop_ctrl(f)) return false;
      if (f.op == Opcode::If) {
        // An `if` without `else` has an implicit empty else: its params must pass through as results.
        bool same = f.num_params == f.num_results;
        for (uint32_t i = 0; same && i < f.num_params; ++i) same = f.params[i] == f.results[i];
        if (!same) return error("type mismatch", "if without else must leave its parameters unchanged");
      }
      push_types(f.results, f.num_results);
      return true;
    }
    case Opcode::Br: {
      const Frame* target;
      if (!label(in.a, target)) return false;
      if (!pop_types(target->label_types(), target->label_arity())) return false;
      set_unreachable();
      return true;
    }
    case Opcode::BrIf: {
      const Frame* target;
      if (!label(in.a, target)) return false;
      if (!pop(kI32)) return false;
      const ValType* types = target->label_types();
      const uint32_t n = target->label_arity();
      if (!pop_types(types, n)) return false;
      push_types(types, n);
      return true;
    }
    case Opcode::BrTable: {
      if (!pop(kI32)) return false;
      const uint32_t def = in.targets.back();
      const Frame* dflt;
      if (!label(def, dflt)) return false;
      const uint32_t arity = dflt->label_arity();
      for (size_t k = 0; k + 1 < in.targets.size(); ++k) {
        const Frame* target;
        if (!label(in.targets[k], target)) return false;
        if (target->label_arity() != arity)
          return error("type mismatch", "br_table targets have different arities");
        // Check this target's types against the stack without consuming it: pop, then push back
        // exactly what was popped (Unknown stays Unknown, so targets of different types can meet
        // in unreachable code).
        const ValType* types = target->label_types();
        scratch_.clear();
        for (uint32_t i = arity; i-- > 0;) {
          VT got = kUnknown;
          if (!pop(vt(types[i]), &got)) return false;
          scratch_.push_back(got);
        }
        for (size_t i = scratch_.size(); i-- > 0;) push(scratch_[i]);
      }
      if (!pop_types(dflt->label_types(), arity)) return false;
      set_unreachable();
      return true;
    }
    case Opcode::Return:
      if (!pop_types(type_->results.data(), static_cast<uint32_t>(type_->results.size()))) return false;
      set_unreachable();
      return true;
    case Opcode::Call: {
      if (in.a >= m_.total_funcs())
        return error(unknown("function", in.a), has_count(m_.total_funcs()));
      const ir::FuncType& t = m_.func_type(in.a);
      if (!pop_types(t.params.data(), static_cast<uint32_t>(t.params.size()))) return false;
      push_types(t.results.data(), static_cast<uint32_t>(t.results.size()));
      return true;
    }
    case Opcode::CallIndirect: {
      ValType elem = ValType::I32;
      if (!table_index(in.b, &elem)) return false;
      if (elem != ValType::FuncRef)
        return error("type mismatch", "call_indirect through a table of " + std::string(ir::name_of(elem)));
      if (in.a >= m_.types.size())
        return error(unknown("type", in.a), has_count(m_.types.size()));
      const ir::FuncType& t = m_.types[in.a];
      if (!pop(kI32)) return false;
      if (!pop_types(t.params.data(), static_cast<uint32_t>(t.params.size()))) return false;
      push_types(t.results.data(), static_cast<uint32_t>(t.results.size()));
      return true;
    }

    case Opcode::Drop:
      return pop(kUnknown);
    case Opcode::Select: {
      if (!pop(kI32)) return false;
      VT t1 = kUnknown, t2 = kUnknown;
      if (!pop(kUnknown, &t1) || !pop(kUnknown, &t2)) return false;
      if (vt_is_ref(t1) || vt_is_ref(t2))
        return error("type mismatch", "select without a type needs numeric operands");
      if (t1 != t2 && t1 != kUnknown && t2 != kUnknown) return mismatch(t1, t2);
      push(t1 == kUnknown ? t2 : t1);
      return true;
    }
    case Opcode::SelectT: {
      if (in.select_count != 1)
        return error("invalid result arity", "select with " + std::to_string(in.select_count) + " types");
      const VT t = vt(in.ref_type);
      if (!pop(kI32) || !pop(t) || !pop(t)) return false;
      push(t);
      return true;
    }

    case Opcode::LocalGet: {
      VT t = kUnknown;
      if (!local_type(in.a, t)) return false;
      push(t);
      return true;
    }
    case Opcode::LocalSet: {
      VT t = kUnknown;
      return local_type(in.a, t) && pop(t);
    }
    case Opcode::LocalTee: {
      VT t = kUnknown;
      if (!local_type(in.a, t) || !pop(t)) return false;
      push(t);
      return true;
    }
    case Opcode::GlobalGet:
    case Opcode::GlobalSet: {
      if (in.a >= m_.total_globals())
        return error(unknown("global", in.a), has_count(m_.total_globals()));
      const ir::GlobalType& g = m_.global_types[in.a];
      if (op == Opcode::GlobalGet) {
        push(vt(g.type));
        return true;
      }
      if (!g.is_mutable) return error("global is immutable", "global.set " + std::to_string(in.a));
      return pop(vt(g.type));
    }

    case Opcode::TableGet: {
      ValType t = ValType::I32;
      if (!table_index(in.a, &t) || !pop(kI32)) return false;
      push(vt(t));
      return true;
    }
    case Opcode::TableSet: {
      ValType t = ValType::I32;
      return table_index(in.a, &t) && pop(vt(t)) && pop(kI32);
    }
    case Opcode::TableSize:
      if (!table_index(in.a, nullptr)) return false;
      push(kI32);
      return true;
    case Opcode::TableGrow: {
      ValType t = ValType::I32;
      if (!table_index(in.a, &t) || !pop(kI32) || !pop(vt(t))) return false;
      push(kI32);
      return true;
    }
    case Opcode::TableFill: {
      ValType t = ValType::I32;
      return table_index(in.a, &t) && pop(kI32) && pop(vt(t)) && pop(kI32);
    }
    case Opcode::TableCopy: {
      ValType dst = ValType::I32, src = ValType::I32;
      if (!table_index(in.a, &dst) || !table_index(in.b, &src)) return false;
      if (dst != src)
        return error("type mismatch", std::string("table.copy from ") + ir::name_of(src) + " to " +
                                          ir::name_of(dst));
      return pop(kI32) && pop(kI32) && pop(kI32);
    }
    case Opcode::TableInit: {
      ValType t = ValType::I32;
      if (!table_index(in.b, &t)) return false;
      if (in.a >= m_.elems.size())
        return error(unknown("elem segment", in.a), has_count(m_.elems.size()));
      if (m_.elems[in.a].type != t)
        return error("type mismatch", std::string("table.init of ") + ir::name_of(m_.elems[in.a].type) +
                                          " into a table of " + ir::name_of(t));
      return pop(kI32) && pop(kI32) && pop(kI32);
    }
    case Opcode::ElemDrop:
      if (in.a >= m_.elems.size())
        return error(unknown("elem segment", in.a), has_count(m_.elems.size()));
      return true;

    case Opcode::MemoryInit:
    case Opcode::DataDrop: {
      if (op == Opcode::MemoryInit && !memory_index(info.text)) return false;
      // The binary format requires a data count section before code that names data segments, so
      // single-pass consumers know the count; without it the module is malformed. An index beyond
      // every data segment is reported as such first (the more useful message).
      const uint64_t num_data = m_.data_count ? *m_.data_count : m_.datas.size();
      if (in.a >= num_data) return error(unknown("data segment", in.a), has_count(num_data));
      if (!m_.data_count)
        return error("data count section required", std::string(info.text) + " without one",
                     ErrorKind::Malformed);
      if (op == Opcode::DataDrop) return true;
      return pop(kI32) && pop(kI32) && pop(kI32);
    }
    case Opcode::MemoryCopy:
    case Opcode::MemoryFill:
      if (!memory_index(info.text)) return false;
      return pop(kI32) && pop(kI32) && pop(kI32);

    case Opcode::RefNull:
      push(vt(in.ref_type));
      return true;
    case Opcode::RefIsNull: {
      VT t = kUnknown;
      if (!pop(kUnknown, &t)) return false;
      if (t != kUnknown && !vt_is_ref(t))
        return error("type mismatch", std::string("ref.is_null of ") + vt_name(t));
      push(kI32);
      return true;
    }
    case Opcode::RefFunc:
      if (in.a >= m_.total_funcs())
        return error(unknown("function", in.a), has_count(m_.total_funcs()));
      if (!ctx_.declared_funcs[in.a])
        return error("undeclared function reference",
                     "function " + std::to_string(in.a) +
                         " is not named by an element segment, export or global initialiser");
      push(kFuncRef);
      return true;

    default:
      return error("illegal opcode", info.text, ErrorKind::Malformed);
  }
}

Result<Ok, Error> FunctionValidator::run(uint32_t func_index) {
  const ir::Function& fn = m_.functions[func_index - m_.num_imported_funcs];
  type_ = &m_.func_type(func_index);

  locals_.clear();
  for (ValType t : type_->params) locals_.push_back(vt(t));
  for (const ir::LocalDecl& d : fn.locals) locals_.insert(locals_.end(), d.count, vt(d.type));

  vals_.clear();
  ctrls_.clear();
  // The function body is an implicit block typed by the function's results.
  ctrls_.push_back(Frame{Opcode::Block, nullptr, 0, type_->results.data(),
                         static_cast<uint32_t>(type_->results.size()), 0, false});

  binary::InstrReader reader(m_.range(fn.body), fn.body.offset);
  auto where = [&](const std::string& reason, uint32_t at, const std::string& detail, ErrorKind kind) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " in function %u", func_index);
    return make_invalid(reason + buf, at, detail, kind);
  };

  binary::Instr in;  // reused: next(Instr&) decodes in place
  const bool has_memory = m_.total_memories() != 0;
  std::vector<uint64_t>* constants = ctx_.constants ? &ctx_.constants->values : nullptr;
  const uint32_t num_locals = static_cast<uint32_t>(locals_.size());
  while (!ctrls_.empty()) {
    if (reader.at_end())
      return fail(where("END opcode expected", reader.offset(), "the body ends inside a block",
                        ErrorKind::Malformed));
    if (!reader.next(in)) {
      Error e = reader.error();
      char buf[64];
      std::snprintf(buf, sizeof buf, " (in function %u)", func_index);
      e.message += buf;
      return fail(std::move(e));
    }
    // Fast paths, inline (most of a body): operators with a fixed signature whose immediates need
    // no check beyond "there is a memory" and the alignment bound, and the local.* operators with an
    // index in range. Anything else — including every failing index or alignment, so the messages
    // stay those of instr() — goes to instr(). A pop() that fails has recorded its error already.
    const ir::OpcodeInfo& info = kInfo.info[static_cast<size_t>(in.op)];
    bool ok;
    if (info.sig != ir::Sig::Special &&
        ((info.imm != ir::Imm::MemArg && info.imm != ir::Imm::Memory) ||
         (has_memory && (info.imm == ir::Imm::Memory || in.align <= info.natural_align)))) {
      const SigTypes& s = kSigTable[static_cast<size_t>(info.sig)];
      ok = true;
      for (uint32_t i = s.num_params; ok && i-- > 0;) ok = pop(s.params[i]);
      if (__builtin_expect(ok, 1)) {
        if (s.num_results) push(s.result);
        // t.const (no operands, a value immediate): remembered for the compiler (ir::ConstantTable).
        if (s.num_params == 0 && constants && info.imm >= ir::Imm::I32 && info.imm <= ir::Imm::F64)
          constants->push_back(info.imm == ir::Imm::I32 || info.imm == ir::Imm::F32
                                   ? static_cast<uint32_t>(in.value)
                                   : in.value);
        continue;
      }
    } else if (in.op == Opcode::LocalGet && in.a < num_locals) {
      push(locals_[in.a]);
      continue;
    } else if (in.op == Opcode::LocalSet && in.a < num_locals) {
      ok = pop(locals_[in.a]);
    } else if (in.op == Opcode::LocalTee && in.a < num_locals) {
      const VT t = locals_[in.a];
      ok = pop(t);
      if (ok) push(t);
    } else {
      ok = instr(in);
    }
    if (__builtin_expect(ok, 1)) continue;
    return fail(where(reason_, in.offset, detail_, kind_));
  }
  if (!reader.at_end())
    return fail(where("section size mismatch", reader.offset(), "bytes after the final end",
                      ErrorKind::Malformed));
  return Ok{};
}

}  // namespace

static_assert(ir::Imm::I64 > ir::Imm::I32 && ir::Imm::F32 > ir::Imm::I64 && ir::Imm::F64 > ir::Imm::F32 &&
                  static_cast<int>(ir::Imm::F64) - static_cast<int>(ir::Imm::I32) == 3,
              "the constant-immediate kinds are contiguous (the fast path's range test)");

Result<Ok, Error> validate_functions(const Context& ctx) {
  const ir::Module& m = ctx.module;
  FunctionValidator v(ctx);
  ir::ConstantTable* t = ctx.constants;
  if (t) {
    t->values.clear();
    t->first.assign(1, 0);
    t->first.reserve(m.functions.size() + 1);
  }
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    if (auto r = v.run(m.num_imported_funcs + i); !r) return r;
    if (t) {  // this function's run: ascending, each value once
      auto begin = t->values.begin() + t->first.back();
      std::sort(begin, t->values.end());
      t->values.erase(std::unique(begin, t->values.end()), t->values.end());
      t->first.push_back(static_cast<uint32_t>(t->values.size()));
    }
  }
  return Ok{};
}

}  // namespace wasipool::validate
