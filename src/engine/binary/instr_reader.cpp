// The shared instruction reader: opcode + immediates, encoding checks only (see instr_reader.h).
//
// This runs over every instruction of every body on every load (validation) and again when a tier
// compiles, so the hot path is written for the compiler: a local cursor whose address never escapes
// (it lives in registers), one-byte LEB128 fast paths, and every failure in an out-of-line cold
// function. Every read is still checked against the end of the code range.
#include "instr_reader.h"

#include <cstdio>
#include <string>

#include "leb128.h"
#include "reader.h"

namespace wasipool::binary {
namespace {

constexpr const char* kEnd = "unexpected end of section or function";

[[gnu::cold, gnu::noinline]] bool fail_at(engine::Error* err, engine::ErrorKind kind, const char* reason,
                                          uint32_t at) {
  *err = make_error(kind, reason, at);
  return false;
}

[[gnu::cold, gnu::noinline]] bool fail_opcode(engine::Error* err, uint8_t byte, uint32_t at) {
  char msg[64];
  engine::ErrorKind kind = engine::ErrorKind::Malformed;
  if (const char* proposal = ir::proposal_of_byte(byte)) {
    std::snprintf(msg, sizeof msg, "unsupported feature: %s", proposal);
    kind = engine::ErrorKind::Unsupported;
  } else {
    std::snprintf(msg, sizeof msg, "illegal opcode 0x%02x", byte);
  }
  return fail_at(err, kind, msg, at);
}

[[gnu::cold, gnu::noinline]] bool fail_fc_opcode(engine::Error* err, uint32_t sub, uint32_t at) {
  char msg[64];
  std::snprintf(msg, sizeof msg, "illegal opcode 0xfc 0x%x", sub);
  return fail_at(err, engine::ErrorKind::Malformed, msg, at);
}

struct LebResult {
  uint64_t value;
  size_t len;
  LebStatus status;
};
template <unsigned Bits>
[[gnu::noinline]] LebResult uleb_slow(const uint8_t* p, const uint8_t* end) {
  LebResult r{0, 0, LebStatus::Ok};
  r.status = read_uleb<Bits>(p, end, r.value, r.len);
  return r;
}
template <unsigned Bits>
[[gnu::noinline]] LebResult sleb_slow(const uint8_t* p, const uint8_t* end) {
  LebResult r{0, 0, LebStatus::Ok};
  int64_t v = 0;
  r.status = read_sleb<Bits>(p, end, v, r.len);
  r.value = static_cast<uint64_t>(v);
  return r;
}

// Value-type bytes of WebAssembly 2.0; 0x7B (v128) is recognised separately so it can be reported as
// the unsupported SIMD proposal rather than as garbage.
inline bool is_valtype_byte(uint8_t b) {
  return b == 0x7F || b == 0x7E || b == 0x7D || b == 0x7C || b == 0x70 || b == 0x6F;
}

// A cursor over [p, end) of one code range. All methods inline; failures go to *err.
struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  const uint8_t* begin;
  uint32_t base;
  engine::Error* err;

  uint32_t offset() const { return base + static_cast<uint32_t>(p - begin); }
  size_t remaining() const { return static_cast<size_t>(end - p); }
  bool fail(const char* reason, uint32_t at, engine::ErrorKind kind = engine::ErrorKind::Malformed) {
    return fail_at(err, kind, reason, at);
  }

  bool u8(uint8_t& out) {
    if (__builtin_expect(p >= end, 0)) return fail(kEnd, offset());
    out = *p++;
    return true;
  }
  bool leb_fail(LebStatus s) { return fail(s == LebStatus::End ? kEnd : reason_of(s), offset()); }

  template <unsigned Bits>
  bool uleb(uint64_t& out) {
    if (__builtin_expect(p < end && *p < 0x80, 1)) {  // one byte: the common case
      out = *p++;
      return true;
    }
    // Multi-byte, with room for the longest form: inline when well formed (call and global indices
    // come padded to 5 bytes from wasm-ld, memarg offsets often take 2-3). Overlong forms are legal
    // up to the maximum length; the last byte's bits beyond Bits must be zero. Anything else —
    // including every error — takes the general reader, so the messages stay its own.
    constexpr unsigned kMax = (Bits + 6) / 7;
    if (__builtin_expect(end - p >= static_cast<ptrdiff_t>(kMax), 1)) {
      uint64_t v = 0;
      for (unsigned i = 0; i < kMax; ++i) {
        const uint8_t b = p[i];
        v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
        if (b < 0x80) {
          if (i == kMax - 1 && (b >> (Bits - 7 * (kMax - 1))) != 0) break;  // too large: slow path
          out = v;
          p += i + 1;
          return true;
        }
      }
    }
    LebResult r = uleb_slow<Bits>(p, end);
    if (r.status != LebStatus::Ok) return leb_fail(r.status);
    out = r.value;
    p += r.len;
    return true;
  }
  template <unsigned Bits>
  bool sleb(int64_t& out) {
    if (__builtin_expect(p < end && *p < 0x80, 1)) {
      const uint8_t b = *p++;
      out = (b & 0x40) ? static_cast<int64_t>(b) - 0x80 : b;
      return true;
    }
    if (end - p >= 2 && p[1] < 0x80) {  // two bytes (|v| < 2^13: struct offsets, small constants)
      static_assert(Bits >= 14, "two LEB128 bytes always fit");
      const int64_t raw = (p[0] & 0x7F) | (int64_t{p[1]} << 7);
      out = (raw & 0x2000) ? raw - 0x4000 : raw;
      p += 2;
      return true;
    }
    LebResult r = sleb_slow<Bits>(p, end);
    if (r.status != LebStatus::Ok) return leb_fail(r.status);
    out = static_cast<int64_t>(r.value);
    p += r.len;
    return true;
  }
  bool u32(uint32_t& out) {
    uint64_t v = 0;
    if (!uleb<32>(v)) return false;
    out = static_cast<uint32_t>(v);
    return true;
  }

  // memory.size/grow/fill, memory.init/copy: the memory index is a reserved single 0x00 byte in 2.0
  // (multi-memory turns it into an index; we must not silently accept one).
  bool zero_byte() {
    const uint32_t at = offset();
    uint8_t b = 0;
    if (!u8(b)) return false;
    if (b != 0) return fail("zero byte expected", at);
    return true;
  }

  // A value type in `select t*`: known types, v128 -> unsupported simd, else malformed.
  bool valtype(ir::ValType& out) {
    const uint32_t at = offset();
    uint8_t b = 0;
    if (!u8(b)) return false;
    if (is_valtype_byte(b)) {
      out = static_cast<ir::ValType>(b);
      return true;
    }
    if (b == 0x7B) return fail("unsupported feature: simd", at, engine::ErrorKind::Unsupported);
    return fail("malformed value type", at);
  }

  bool fixed(unsigned n, uint64_t& out) {
    if (__builtin_expect(remaining() < n, 0)) return fail(kEnd, offset());
    out = 0;
    for (unsigned i = n; i-- > 0;) out = out << 8 | p[i];
    p += n;
    return true;
  }
};

// One-byte opcode -> (Opcode, immediate kind), copied from the opcode table once at start-up so the
// per-instruction lookup is an inline array read.
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

// Immediates that are exactly one u32 index, decoded into Instr::a.
constexpr bool is_index_imm(ir::Imm imm) {
  return imm == ir::Imm::Label || imm == ir::Imm::Func || imm == ir::Imm::Local || imm == ir::Imm::Global ||
         imm == ir::Imm::Table || imm == ir::Imm::Data || imm == ir::Imm::Elem;
}

}  // namespace

namespace detail {
namespace {
// Which one-byte opcodes the inline fast path may finish (see instr_reader.h).
Fast fast_of(ir::Imm imm) {
  if (imm == ir::Imm::None) return Fast::None;
  if (is_index_imm(imm)) return Fast::Index;
  if (imm == ir::Imm::I32) return Fast::I32;
  if (imm == ir::Imm::MemArg) return Fast::MemArg;
  return Fast::Slow;
}
}  // namespace
FastTable::FastTable() {
  for (int b = 0; b < 256; ++b) {
    const ByteEntry& be = kBytes.e[b];
    // 0xFC is a prefix, not an opcode; unknown bytes need the slow path's error message.
    e[b] = FastByte{be.op, (be.op == kNoOp || b == 0xFC) ? Fast::Slow : fast_of(be.imm)};
  }
}
// Defined after kBytes in this file, so it is built from a filled table (same-file static
// initialisation runs in definition order).
const FastTable kFastTable;
}  // namespace detail

namespace {

// Decodes one instruction into `in`, advancing c.p; on failure *c.err says why.
[[gnu::always_inline]] inline bool decode_instr(Cursor& c, Instr& in, std::vector<uint32_t>& targets) {
  in.offset = c.offset();
  uint8_t byte = 0;
  if (!c.u8(byte)) return false;

  ir::Imm imm;
  if (byte == 0xFC) {
    uint32_t sub = 0;
    if (!c.u32(sub)) return false;
    auto op = ir::opcode_from_fc(sub);
    if (!op) return fail_fc_opcode(c.err, sub, in.offset);
    in.op = *op;
    imm = ir::info(*op).imm;
  } else {
    const ByteEntry& e = kBytes.e[byte];
    if (__builtin_expect(e.op == kNoOp, 0)) return fail_opcode(c.err, byte, in.offset);
    in.op = static_cast<ir::Opcode>(e.op);
    imm = e.imm;
  }

  if (is_index_imm(imm)) return c.u32(in.a);
  switch (imm) {
    case ir::Imm::None:
      return true;
    case ir::Imm::BlockType: {
      const uint32_t at = c.offset();
      if (c.p >= c.end) return c.fail(kEnd, at);
      const uint8_t b = *c.p;
      if (b == 0x40) {
        ++c.p;
        in.block.kind = BlockType::Kind::Empty;
      } else if (is_valtype_byte(b)) {
        ++c.p;
        in.block.kind = BlockType::Kind::Value;
        in.block.value = static_cast<ir::ValType>(b);
      } else if (b == 0x7B) {
        return c.fail("unsupported feature: simd", at, engine::ErrorKind::Unsupported);
      } else {
        // A type index, encoded as a positive s33 so it cannot collide with the one-byte forms.
        int64_t idx = 0;
        if (!c.sleb<33>(idx)) return false;
        if (idx < 0) return c.fail("malformed block type", at);
        in.block.kind = BlockType::Kind::TypeIndex;
        in.block.type_index = static_cast<uint32_t>(idx);
      }
      return true;
    }
    case ir::Imm::BrTable: {
      uint32_t count = 0;
      if (!c.u32(count)) return false;
      // Each target takes at least one byte: a count beyond the remaining bytes is a lie, and must
      // not drive an allocation.
      if (count >= c.remaining()) return c.fail(kEnd, c.offset());
      targets.clear();
      targets.reserve(count + 1);
      for (uint32_t i = 0; i <= count; ++i) {
        uint32_t t = 0;
        if (!c.u32(t)) return false;
        targets.push_back(t);
      }
      in.targets = std::span<const uint32_t>(targets.data(), targets.size());
      return true;
    }
    case ir::Imm::CallIndirect:
      // Since reference types the table index is a full u32 LEB (possibly overlong: 0x80 0x00).
      return c.u32(in.a) && c.u32(in.b);
    case ir::Imm::MemArg: {
      uint32_t offset32 = 0;
      if (!c.u32(in.align) || !c.u32(offset32)) return false;
      in.mem_offset = offset32;
      return true;
    }
    case ir::Imm::Memory:
      return c.zero_byte();
    case ir::Imm::I32: {
      int64_t v = 0;
      if (!c.sleb<32>(v)) return false;
      in.value = static_cast<uint32_t>(static_cast<int32_t>(v));
      return true;
    }
    case ir::Imm::I64: {
      int64_t v = 0;
      if (!c.sleb<64>(v)) return false;
      in.value = static_cast<uint64_t>(v);
      return true;
    }
    case ir::Imm::F32:
      return c.fixed(4, in.value);
    case ir::Imm::F64:
      return c.fixed(8, in.value);
    case ir::Imm::RefType: {
      const uint32_t at = c.offset();
      uint8_t b = 0;
      if (!c.u8(b)) return false;
      if (b != 0x70 && b != 0x6F) return c.fail("malformed reference type", at);
      in.ref_type = static_cast<ir::ValType>(b);
      return true;
    }
    case ir::Imm::SelectT: {
      uint32_t count = 0;
      if (!c.u32(count)) return false;
      if (count > c.remaining()) return c.fail(kEnd, c.offset());
      in.select_count = count;
      for (uint32_t i = 0; i < count; ++i) {
        ir::ValType t = ir::ValType::I32;
        if (!c.valtype(t)) return false;
        if (i == 0) in.ref_type = t;
      }
      return true;
    }
    case ir::Imm::MemoryInit:
      return c.u32(in.a) && c.zero_byte();
    case ir::Imm::MemoryCopy:
      return c.zero_byte() && c.zero_byte();
    case ir::Imm::TableInit:
      // Encoded elem index first, then table index.
      return c.u32(in.a) && c.u32(in.b);
    case ir::Imm::TableCopy:
      // Encoded destination first, then source.
      return c.u32(in.a) && c.u32(in.b);
    default:  // the one-index immediates, decoded above (is_index_imm)
      break;
  }
  return true;
}

}  // namespace

InstrReader::InstrReader(std::span<const uint8_t> code, uint32_t base_offset)
    : code_(code), base_(base_offset) {}

bool InstrReader::next_slow(Instr& out) {
  Cursor c{code_.data() + pos_, code_.data() + code_.size(), code_.data(), base_, &error_};
  if (__builtin_expect(!decode_instr(c, out, targets_), 0)) return false;
  pos_ = static_cast<size_t>(c.p - code_.data());
  return true;
}

// The Result form, for callers outside the hot loops: a fresh Instr each call, copied once into the Result.
Result<Instr, engine::Error> InstrReader::next() {
  Instr in;  // fresh per call: this form promises no stale fields
  if (__builtin_expect(!next(in), 0)) return fail(error_);
  return in;
}

}  // namespace wasipool::binary
