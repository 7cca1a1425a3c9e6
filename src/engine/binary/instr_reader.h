// The one function-body walker: reads instructions (opcode + immediates) from a code range. Shared by
// every consumer of function bodies — the validator, the interpreter's compiler, later the LLVM tier —
// so immediates are decoded in exactly one place. It checks only the *encoding* (LEB128 sizes, known
// opcodes, reserved zero bytes); typing is the validator's job.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "../api/wasipool/engine.h"
#include "../ir/opcodes.h"
#include "../ir/types.h"

namespace wasipool::binary {

struct BlockType {
  enum class Kind : uint8_t { Empty, Value, TypeIndex } kind = Kind::Empty;
  ir::ValType value = ir::ValType::I32;  // Kind::Value
  uint32_t type_index = 0;               // Kind::TypeIndex (multi-value blocks)
};

// One decoded instruction. Which fields are meaningful depends on ir::info(op).imm.
struct Instr {
  ir::Opcode op = ir::Opcode::Nop;
  uint32_t offset = 0;       // byte offset of the opcode within the whole module
  BlockType block;           // block / loop / if
  uint32_t a = 0;            // first index: label, func, local, global, table, type (call_indirect),
                             // data (memory.init, data.drop), elem (table.init, elem.drop),
                             // destination table (table.copy)
  uint32_t b = 0;            // second index: table (call_indirect, table.init), source table (table.copy)
  uint32_t align = 0;        // MemArg: alignment exponent as encoded
  uint64_t mem_offset = 0;   // MemArg: static offset (u32 in 2.0)
  uint64_t value = 0;        // i32.const (as u32, zero-extended), i64.const, f32/f64 bits
  ir::ValType ref_type = ir::ValType::FuncRef;  // ref.null; select t (first type)
  uint32_t select_count = 0; // select t: number of types in the vector (valid modules have 1)
  std::span<const uint32_t> targets;  // br_table: label targets, then the default last; valid until next()
};

namespace detail {
// The per-byte decode table behind InstrReader's inline fast path, filled from the opcode table at
// start-up (instr_reader.cpp). `fast` says which one-byte-opcode forms the header may finish without
// the general decoder; anything else (0xFC prefix, unknown byte, multi-byte LEB128, other
// immediates) goes to InstrReader::next_slow, which re-decodes from the same position.
enum class Fast : uint8_t { Slow, None, Index, I32, MemArg };
struct FastByte {
  uint16_t op;  // ir::Opcode
  Fast fast;
};
struct FastTable {
  FastByte e[256];
  FastTable();
};
extern const FastTable kFastTable;
}  // namespace detail

class InstrReader {
 public:
  // `code` is a function body expression (or a constant expression) inside the module; `base_offset`
  // is its offset within the module so errors and Instr::offset are module-relative.
  InstrReader(std::span<const uint8_t> code, uint32_t base_offset);

  bool at_end() const { return pos_ >= code_.size(); }
  uint32_t offset() const { return base_ + static_cast<uint32_t>(pos_); }  // of the next instruction

  // Decode the next instruction. Errors are ErrorKind::Malformed ("illegal opcode 0x.. at offset 0x..",
  // "unexpected end", "integer too large", "zero byte expected", ...) or ErrorKind::Unsupported
  // ("unsupported feature: simd at offset 0x..").
  Result<Instr, engine::Error> next();

  // The same, for hot loops (validation, compilation): decodes into `out`, which the caller reuses —
  // fields the opcode's immediates do not use keep stale values — and returns false on failure, which
  // error() then describes. Saves building a Result per instruction.
  //
  // Inline fast path for the bulk of real code (measured on hello.wasm: ~75 % of instructions):
  // opcodes without immediates, one-byte index / i32.const immediates, and memargs whose alignment
  // and offset take one byte each. It saves the general
  // decoder's call, register spills and cursor set-up per instruction (startup, issue 3).
  bool next(Instr& out) {
    // Members are read into locals once, before any store to `out`: the compiler must assume `out` may
    // alias the reader, so every member read after a store through `out` would be a fresh load.
    const size_t size = code_.size();
    const size_t pos = pos_;
    if (__builtin_expect(pos < size, 1)) {
      const uint8_t* p = code_.data() + pos;
      const uint32_t at = base_ + static_cast<uint32_t>(pos);
      const detail::FastByte e = detail::kFastTable.e[p[0]];
      if (e.fast == detail::Fast::None) {
        pos_ = pos + 1;
        out.op = static_cast<ir::Opcode>(e.op);
        out.offset = at;
        return true;
      }
      if (e.fast == detail::Fast::MemArg) {
        if (pos + 2 < size && (p[1] | p[2]) < 0x80) {  // align and offset, one byte each
          pos_ = pos + 3;
          out.op = static_cast<ir::Opcode>(e.op);
          out.offset = at;
          out.align = p[1];
          out.mem_offset = p[2];
          return true;
        }
      } else if (e.fast != detail::Fast::Slow && pos + 1 < size && p[1] < 0x80) {
        const uint8_t imm = p[1];
        pos_ = pos + 2;
        out.op = static_cast<ir::Opcode>(e.op);
        out.offset = at;
        if (e.fast == detail::Fast::Index) {
          out.a = imm;
        } else {  // i32.const: one-byte signed LEB128, stored as u32 zero-extended
          const int32_t v = (imm & 0x40) ? static_cast<int32_t>(imm) - 0x80 : imm;
          out.value = static_cast<uint32_t>(v);
        }
        return true;
      }
    }
    return next_slow(out);
  }
  engine::Error error() const { return error_; }

 private:
  bool next_slow(Instr& out);  // the general decoder (every opcode, every encoding check)

  std::span<const uint8_t> code_;
  size_t pos_ = 0;
  uint32_t base_ = 0;
  std::vector<uint32_t> targets_;  // reused br_table buffer: no allocation per instruction once warm
  engine::Error error_;            // last failure of next(Instr&)
};

}  // namespace wasipool::binary
