// The shared instruction reader: opcode + immediates, encoding checks only (see instr_reader.h).
#include "instr_reader.h"

#include <cstdio>
#include <string>

#include "reader.h"

namespace wasipool::binary {
namespace {

// Value-type bytes of WebAssembly 2.0; 0x7B (v128) is recognised separately so it can be reported as
// the unsupported SIMD proposal rather than as garbage.
bool is_valtype_byte(uint8_t b) {
  return b == 0x7F || b == 0x7E || b == 0x7D || b == 0x7C || b == 0x70 || b == 0x6F;
}

// Immediate of a value type in `select t*`: known types, v128 -> unsupported simd, else malformed.
bool read_valtype(ByteReader& r, ir::ValType& out) {
  const uint32_t at = r.offset();
  uint8_t b;
  if (!r.u8(b)) return false;
  if (is_valtype_byte(b)) {
    out = static_cast<ir::ValType>(b);
    return true;
  }
  if (b == 0x7B) return r.fail_at("unsupported feature: simd", at, engine::ErrorKind::Unsupported);
  return r.fail_at("malformed value type", at);
}

// memory.size/grow/fill, memory.init/copy: the memory index is a reserved single 0x00 byte in 2.0
// (multi-memory turns it into an index; we must not silently accept one).
bool read_zero_byte(ByteReader& r) {
  const uint32_t at = r.offset();
  uint8_t b;
  if (!r.u8(b)) return false;
  if (b != 0) return r.fail_at("zero byte expected", at);
  return true;
}

// One-byte opcode -> (Opcode, immediate kind), copied from the opcode table once at start-up so the
// per-instruction lookup is an inline array read (this loop runs over every body on every load).
struct ByteEntry {
  uint16_t op;  // kNoOp: not a 2.0 opcode
  ir::Imm imm;
};
constexpr uint16_t kNoOp = 0xFFFF;
struct ByteTable {
  ByteEntry e[256];
  ByteTable() {
    for (int b = 0; b < 256; ++b) {
      auto op = ir::opcode_from_byte(static_cast<uint8_t>(b));
      e[b] = op ? ByteEntry{static_cast<uint16_t>(*op), ir::info(*op).imm} : ByteEntry{kNoOp, ir::Imm::None};
    }
  }
};
const ByteTable kBytes;

// Decodes one instruction into `in`; on failure the reason is recorded in `r`.
bool decode_instr(ByteReader& r, Instr& in, std::vector<uint32_t>& targets) {
  in.offset = r.offset();
  uint8_t byte;
  if (!r.u8(byte)) return false;

  ir::Imm imm;
  if (byte == 0xFC) {
    uint32_t sub;
    if (!r.u32(sub)) return false;
    auto op = ir::opcode_from_fc(sub);
    if (!op) return r.fail_fmt(in.offset, engine::ErrorKind::Malformed, "illegal opcode 0xfc 0x%x", sub);
    in.op = *op;
    imm = ir::info(*op).imm;
  } else {
    const ByteEntry& e = kBytes.e[byte];
    if (e.op == kNoOp) {
      if (const char* proposal = ir::proposal_of_byte(byte))
        return r.fail_fmt(in.offset, engine::ErrorKind::Unsupported, "unsupported feature: %s", proposal);
      return r.fail_fmt(in.offset, engine::ErrorKind::Malformed, "illegal opcode 0x%02x", byte);
    }
    in.op = static_cast<ir::Opcode>(e.op);
    imm = e.imm;
  }

  bool ok = true;
  switch (imm) {
    case ir::Imm::None:
      break;
    case ir::Imm::BlockType: {
      const uint32_t at = r.offset();
      uint8_t b;
      if (!r.peek(b)) { ok = r.u8(b); break; }
      if (b == 0x40) {
        r.skip(1);
        in.block.kind = BlockType::Kind::Empty;
      } else if (is_valtype_byte(b)) {
        r.skip(1);
        in.block.kind = BlockType::Kind::Value;
        in.block.value = static_cast<ir::ValType>(b);
      } else if (b == 0x7B) {
        ok = r.fail_at("unsupported feature: simd", at, engine::ErrorKind::Unsupported);
      } else {
        // A type index, encoded as a positive s33 so it cannot collide with the one-byte forms.
        int64_t idx;
        if (!(ok = r.s33(idx))) break;
        if (idx < 0) { ok = r.fail_at("malformed block type", at); break; }
        in.block.kind = BlockType::Kind::TypeIndex;
        in.block.type_index = static_cast<uint32_t>(idx);
      }
      break;
    }
    case ir::Imm::Label:
    case ir::Imm::Func:
    case ir::Imm::Local:
    case ir::Imm::Global:
    case ir::Imm::Table:
    case ir::Imm::Data:
    case ir::Imm::Elem:
      ok = r.u32(in.a);
      break;
    case ir::Imm::BrTable: {
      uint32_t count;
      if (!(ok = r.u32(count))) break;
      // Each target takes at least one byte: a count beyond the remaining bytes is a lie, and must
      // not drive an allocation.
      if (count >= r.remaining()) { ok = r.fail("unexpected end of section or function"); break; }
      targets.clear();
      targets.reserve(count + 1);
      for (uint32_t i = 0; i <= count && ok; ++i) {
        uint32_t t = 0;
        ok = r.u32(t);
        targets.push_back(t);
      }
      in.targets = std::span<const uint32_t>(targets.data(), targets.size());
      break;
    }
    case ir::Imm::CallIndirect:
      // Since reference types the table index is a full u32 LEB (possibly overlong: 0x80 0x00).
      ok = r.u32(in.a) && r.u32(in.b);
      break;
    case ir::Imm::MemArg: {
      uint32_t offset32 = 0;
      ok = r.u32(in.align) && r.u32(offset32);
      in.mem_offset = offset32;
      break;
    }
    case ir::Imm::Memory:
      ok = read_zero_byte(r);
      break;
    case ir::Imm::I32: {
      int32_t v = 0;
      ok = r.s32(v);
      in.value = static_cast<uint32_t>(v);
      break;
    }
    case ir::Imm::I64: {
      int64_t v = 0;
      ok = r.s64(v);
      in.value = static_cast<uint64_t>(v);
      break;
    }
    case ir::Imm::F32: {
      uint32_t bits = 0;
      ok = r.fixed32(bits);
      in.value = bits;
      break;
    }
    case ir::Imm::F64:
      ok = r.fixed64(in.value);
      break;
    case ir::Imm::RefType: {
      const uint32_t at = r.offset();
      uint8_t b;
      if (!(ok = r.u8(b))) break;
      if (b == 0x70 || b == 0x6F) in.ref_type = static_cast<ir::ValType>(b);
      else ok = r.fail_at("malformed reference type", at);
      break;
    }
    case ir::Imm::SelectT: {
      uint32_t count;
      if (!(ok = r.u32(count))) break;
      if (count > r.remaining()) { ok = r.fail("unexpected end of section or function"); break; }
      in.select_count = count;
      for (uint32_t i = 0; i < count && ok; ++i) {
        ir::ValType t = ir::ValType::I32;
        ok = read_valtype(r, t);
        if (i == 0) in.ref_type = t;
      }
      break;
    }
    case ir::Imm::MemoryInit:
      ok = r.u32(in.a) && read_zero_byte(r);
      break;
    case ir::Imm::MemoryCopy:
      ok = read_zero_byte(r) && read_zero_byte(r);
      break;
    case ir::Imm::TableInit:
      // Encoded elem index first, then table index.
      ok = r.u32(in.a) && r.u32(in.b);
      break;
    case ir::Imm::TableCopy:
      // Encoded destination first, then source.
      ok = r.u32(in.a) && r.u32(in.b);
      break;
  }
  return ok;
}

}  // namespace

// The result is built in place and returned through one object so it is not copied (this runs for
// every instruction of every body on every load).
InstrReader::InstrReader(std::span<const uint8_t> code, uint32_t base_offset)
    : code_(code), base_(base_offset) {}

Result<Instr, engine::Error> InstrReader::next() {
  Result<Instr, engine::Error> result{Instr{}};
  ByteReader r(code_.subspan(pos_), offset(), "unexpected end of section or function");
  if (decode_instr(r, result.value(), targets_)) {
    pos_ += r.pos();
  } else {
    result = Result<Instr, engine::Error>(fail(r.error()));
  }
  return result;
}

}  // namespace wasipool::binary
