// Decoder: module framing and every section of the binary format (spec chapter 5).
// Function bodies are not walked here: they stay byte ranges, and the validator walks them once with
// the shared InstrReader (which reports encoding errors in bodies as Malformed). Constant expressions
// are decoded here, as instruction lists, because they are part of section entries.
#include "decode.h"

#include <cstdio>
#include <string>

#include "instr_reader.h"
#include "name_section.h"
#include "reader.h"
#include "utf8.h"

namespace wasipool::binary {
namespace {

using engine::Error;
using engine::ErrorKind;

constexpr const char* kSectionEnd = "unexpected end of section or function";

// Implementation limit on declared locals per function (params excluded). The binary format allows
// up to 2^32-1, which a 10-byte declaration can request; every tier allocates a slot per local, so
// an unbounded count is a memory-exhaustion attack. 50000 is what V8 and wasmtime allow too.
constexpr uint64_t kMaxLocals = 50000;

// Implementation limit on params and results per function type (V8 and wasmtime use the same
// bound): every call and branch costs time and stack slots per value, so a type with a million
// results in a small module would turn validation and calls into a denial of service.
constexpr uint32_t kMaxTypeArity = 1000;

enum SectionId : uint8_t {
  kCustom = 0, kType = 1, kImport = 2, kFunction = 3, kTable = 4, kMemory = 5, kGlobal = 6,
  kExport = 7, kStart = 8, kElement = 9, kCode = 10, kData = 11, kDataCount = 12,
};

// Position of each section id in the required order (the data count section sits between element
// and code).
int order_of(uint8_t id) {
  switch (id) {
    case kType: return 1;
    case kImport: return 2;
    case kFunction: return 3;
    case kTable: return 4;
    case kMemory: return 5;
    case kGlobal: return 6;
    case kExport: return 7;
    case kStart: return 8;
    case kElement: return 9;
    case kDataCount: return 10;
    case kCode: return 11;
    case kData: return 12;
    default: return 0;
  }
}

class Decoder {
 public:
  explicit Decoder(ir::Module& m) : m_(m) {}

  bool run();
  Error take_error() { return std::move(err_); }

 private:
  // --- failure plumbing: the first error wins -----------------------------------------------
  bool fail(const ByteReader& r) {
    err_ = r.error();
    return false;
  }
  bool fail(const char* reason, uint32_t at, ErrorKind kind = ErrorKind::Malformed) {
    err_ = make_error(kind, reason, at);
    return false;
  }

  // --- shared pieces ----------------------------------------------------------------------
  bool read_name(ByteReader& r, std::string& out);
  bool read_valtype(ByteReader& r, ir::ValType& out);
  bool read_reftype(ByteReader& r, ir::ValType& out);
  bool read_limits(ByteReader& r, ir::Limits& out, bool is_memory);
  bool read_table_type(ByteReader& r, ir::TableType& out);
  bool read_global_type(ByteReader& r, ir::GlobalType& out);
  bool read_count(ByteReader& r, uint32_t& out);
  size_t cap(const ByteReader& r, uint32_t count) const;
  bool read_const_expr(ByteReader& r, ir::ConstExpr& out);

  // --- sections ---------------------------------------------------------------------------
  bool section(uint8_t id, ByteReader& r, uint32_t content_offset);
  bool type_section(ByteReader& r);
  bool import_section(ByteReader& r);
  bool function_section(ByteReader& r);
  bool table_section(ByteReader& r);
  bool memory_section(ByteReader& r);
  bool global_section(ByteReader& r);
  bool export_section(ByteReader& r);
  bool start_section(ByteReader& r);
  bool element_section(ByteReader& r);
  bool code_section(ByteReader& r);
  bool data_section(ByteReader& r);
  bool data_count_section(ByteReader& r);
  bool custom_section(ByteReader& r, uint32_t content_offset);

  ir::Module& m_;
  Error err_;
  uint32_t section_end_ = 0;  // module offset just past the current section's declared size
  bool saw_code_ = false;
  bool saw_data_ = false;
};

bool Decoder::read_name(ByteReader& r, std::string& out) {
  uint32_t len;
  const uint32_t len_at = r.offset();
  const size_t left = r.remaining();
  if (!r.u32(len)) return fail(r);
  const uint32_t at = r.offset();
  std::span<const uint8_t> bytes;
  if (len > left) return fail("length out of bounds", len_at);
  if (!r.bytes(len, bytes)) return fail(r);
  if (!is_valid_utf8(bytes.data(), bytes.size())) return fail("malformed UTF-8 encoding", at);
  out.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return true;
}

bool Decoder::read_valtype(ByteReader& r, ir::ValType& out) {
  const uint32_t at = r.offset();
  uint8_t b;
  if (!r.u8(b)) return fail(r);
  switch (b) {
    case 0x7F: case 0x7E: case 0x7D: case 0x7C: case 0x70: case 0x6F:
      out = static_cast<ir::ValType>(b);
      return true;
    case 0x7B:
      return fail("unsupported feature: simd", at, ErrorKind::Unsupported);
    case 0x63: case 0x64:
      return fail("unsupported feature: function-references", at, ErrorKind::Unsupported);
    default:
      return fail("malformed value type", at);
  }
}

bool Decoder::read_reftype(ByteReader& r, ir::ValType& out) {
  const uint32_t at = r.offset();
  uint8_t b;
  if (!r.u8(b)) return fail(r);
  if (b == 0x70 || b == 0x6F) {
    out = static_cast<ir::ValType>(b);
    return true;
  }
  return fail("malformed reference type", at);
}

bool Decoder::read_limits(ByteReader& r, ir::Limits& out, bool is_memory) {
  const uint32_t at = r.offset();
  uint8_t flags;
  if (!r.u8(flags)) return fail(r);
  // 2.0 reads the flags as a 1-bit LEB128: the reasons below are what such a read reports. The
  // proposals' flag values are named so the user learns what the module needs.
  if (is_memory && flags == 0x03)
    return fail("unsupported feature: threads", at, ErrorKind::Unsupported);
  if (flags >= 0x04 && flags <= 0x07)
    return fail("unsupported feature: memory64", at, ErrorKind::Unsupported);
  if (flags & 0x7E) return fail("integer too large", at);
  if (flags & 0x80) return fail("integer representation too long", at);
  uint32_t min;
  if (!r.u32(min)) return fail(r);
  out.min = min;
  out.max.reset();
  if (flags & 0x01) {
    uint32_t max;
    if (!r.u32(max)) return fail(r);
    out.max = max;
  }
  return true;
}

bool Decoder::read_table_type(ByteReader& r, ir::TableType& out) {
  return read_reftype(r, out.elem) && read_limits(r, out.limits, false);
}

bool Decoder::read_global_type(ByteReader& r, ir::GlobalType& out) {
  if (!read_valtype(r, out.type)) return false;
  const uint32_t at = r.offset();
  uint8_t mut;
  if (!r.u8(mut)) return fail(r);
  if (mut > 1) return fail("malformed mutability", at);
  out.is_mutable = mut == 1;
  return true;
}

// A vector length. Every element takes at least one byte, so a count beyond the bytes left (counted
// from the length itself, as the reference decoder does) is malformed.
bool Decoder::read_count(ByteReader& r, uint32_t& out) {
  const uint32_t at = r.offset();
  const size_t left = r.remaining();
  if (!r.u32(out)) return fail(r);
  if (out > left) return fail("length out of bounds", at);
  return true;
}

// How many elements to reserve for a vector of `count`: never more than the bytes left in the current
// section (each element takes at least one), so a forged count cannot drive an allocation — section
// readers may look past their section's end (see run()), up to the end of the module.
size_t Decoder::cap(const ByteReader& r, uint32_t count) const {
  const uint32_t at = r.offset();
  const size_t left = section_end_ > at ? section_end_ - at : 0;
  return count < left ? count : left;
}

// expr ::= instr* 0x0B. Nested blocks are tracked so the expression ends at the `end` that matches
// depth 0; whether the instructions are constant is the validator's question.
bool Decoder::read_const_expr(ByteReader& r, ir::ConstExpr& out) {
  out.offset = r.offset();
  out.instrs.clear();
  InstrReader in(std::span<const uint8_t>(r.cursor(), r.remaining()), r.offset());
  uint32_t depth = 0;
  for (;;) {
    if (in.at_end()) return fail(kSectionEnd, in.offset());
    auto instr = in.next();
    if (!instr) {
      err_ = std::move(instr).error();
      return false;
    }
    const ir::Opcode op = instr->op;
    if (op == ir::Opcode::End) {
      if (depth == 0) break;
      --depth;
    } else if (op == ir::Opcode::Block || op == ir::Opcode::Loop || op == ir::Opcode::If) {
      ++depth;
    }
    ir::ConstInstr ci;
    ci.op = op;
    ci.offset = instr->offset;
    switch (ir::info(op).imm) {
      case ir::Imm::I32:
        ci.imm = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(instr->value)));
        break;
      case ir::Imm::I64: case ir::Imm::F32: case ir::Imm::F64:
        ci.imm = instr->value;
        break;
      case ir::Imm::RefType:
        ci.ref_type = instr->ref_type;
        break;
      default:
        ci.imm = instr->a;
        break;
    }
    out.instrs.push_back(ci);
  }
  r.skip(in.offset() - r.offset());
  return true;
}

// --- sections -------------------------------------------------------------------------------

bool Decoder::type_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.types.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t at = r.offset();
    uint8_t form;
    if (!r.u8(form)) return fail(r);
    if (form != 0x60) {
      if (form == 0x5E || form == 0x5F || form == 0x4E || form == 0x50 || form == 0x4F)
        return fail("unsupported feature: gc", at, ErrorKind::Unsupported);
      // The form is an s7 in the spec's grammar; a continuation bit makes it too long.
      return fail(form & 0x80 ? "integer representation too long" : "malformed functype", at);
    }
    ir::FuncType ft;
    uint32_t n;
    uint32_t n_at = r.offset();
    if (!read_count(r, n)) return false;
    if (n > kMaxTypeArity) return fail("too many parameters (implementation limit 1000)", n_at, ErrorKind::Limit);
    ft.params.resize(n);
    for (auto& t : ft.params)
      if (!read_valtype(r, t)) return false;
    n_at = r.offset();
    if (!read_count(r, n)) return false;
    if (n > kMaxTypeArity) return fail("too many results (implementation limit 1000)", n_at, ErrorKind::Limit);
    ft.results.resize(n);
    for (auto& t : ft.results)
      if (!read_valtype(r, t)) return false;
    m_.types.push_back(std::move(ft));
  }
  return true;
}

bool Decoder::import_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.imports.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i) {
    ir::Import im;
    if (!read_name(r, im.module) || !read_name(r, im.name)) return false;
    const uint32_t at = r.offset();
    uint8_t kind;
    if (!r.u8(kind)) return fail(r);
    switch (kind) {
      case 0:
        if (!r.u32(im.func_type)) return fail(r);
        im.kind = ir::ExternKind::Func;
        m_.func_types.push_back(im.func_type);
        ++m_.num_imported_funcs;
        break;
      case 1:
        if (!read_table_type(r, im.table)) return false;
        im.kind = ir::ExternKind::Table;
        m_.table_types.push_back(im.table);
        ++m_.num_imported_tables;
        break;
      case 2:
        if (!read_limits(r, im.memory.limits, true)) return false;
        im.kind = ir::ExternKind::Memory;
        m_.memory_types.push_back(im.memory);
        ++m_.num_imported_memories;
        break;
      case 3:
        if (!read_global_type(r, im.global)) return false;
        im.kind = ir::ExternKind::Global;
        m_.global_types.push_back(im.global);
        ++m_.num_imported_globals;
        break;
      default:
        return fail("malformed import kind", at);
    }
    m_.imports.push_back(std::move(im));
  }
  return true;
}

bool Decoder::function_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.functions.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i)
    if (!r.u32(m_.functions.emplace_back().type)) return fail(r);
  return true;
}

bool Decoder::table_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.tables.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i)
    if (!read_table_type(r, m_.tables.emplace_back())) return false;
  return true;
}

bool Decoder::memory_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.memories.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i)
    if (!read_limits(r, m_.memories.emplace_back().limits, true)) return false;
  return true;
}

bool Decoder::global_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.globals.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i) {
    ir::Global& g = m_.globals.emplace_back();
    if (!read_global_type(r, g.type) || !read_const_expr(r, g.init)) return false;
  }
  return true;
}

bool Decoder::export_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.exports.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i) {
    ir::Export& e = m_.exports.emplace_back();
    if (!read_name(r, e.name)) return false;
    const uint32_t at = r.offset();
    uint8_t kind;
    if (!r.u8(kind)) return fail(r);
    if (kind > 3) return fail("malformed export kind", at);
    e.kind = static_cast<ir::ExternKind>(kind);
    if (!r.u32(e.index)) return fail(r);
  }
  return true;
}

bool Decoder::start_section(ByteReader& r) {
  uint32_t index;
  if (!r.u32(index)) return fail(r);
  m_.start = index;
  return true;
}

// Eight encodings (spec 5.5.12), selected by bits of the leading u32:
//   bit 0: passive or declarative (else active); bit 1: explicit table index (active) or declarative
//   (non-active); bit 2: elements are expressions with a reftype (else function indices, elemkind).
bool Decoder::element_section(ByteReader& r) {
  uint32_t count;
  if (!read_count(r, count)) return false;
  m_.elems.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i) {
    ir::ElemSegment& seg = m_.elems.emplace_back();
    seg.offset_in_module = r.offset();
    uint32_t flags;
    if (!r.u32(flags)) return fail(r);
    if (flags > 7) return fail("malformed elements segment kind", seg.offset_in_module);
    const bool non_active = flags & 1;
    const bool bit1 = flags & 2;
    const bool exprs = flags & 4;
    if (non_active) {
      seg.mode = bit1 ? ir::SegmentMode::Declarative : ir::SegmentMode::Passive;
    } else {
      seg.mode = ir::SegmentMode::Active;
      if (bit1 && !r.u32(seg.table)) return fail(r);
      if (!read_const_expr(r, seg.offset)) return false;
    }
    // Flags 0 and 4 carry neither elemkind nor reftype: funcref implied.
    seg.type = ir::ValType::FuncRef;
    if (non_active || bit1) {
      if (exprs) {
        if (!read_reftype(r, seg.type)) return false;
      } else {
        const uint32_t at = r.offset();
        uint8_t elemkind;
        if (!r.u8(elemkind)) return fail(r);
        if (elemkind != 0x00) return fail("malformed element kind", at);
      }
    }
    uint32_t n;
    if (!read_count(r, n)) return false;
    seg.init.reserve(cap(r, n));
    for (uint32_t k = 0; k < n; ++k) {
      ir::ConstExpr& e = seg.init.emplace_back();
      if (exprs) {
        if (!read_const_expr(r, e)) return false;
      } else {
        e.offset = r.offset();
        uint32_t func;
        if (!r.u32(func)) return fail(r);
        e.instrs.push_back(ir::ConstInstr{ir::Opcode::RefFunc, func, ir::ValType::FuncRef, e.offset});
      }
    }
  }
  return true;
}

bool Decoder::code_section(ByteReader& r) {
  saw_code_ = true;
  const uint32_t at = r.offset();
  uint32_t count;
  if (!read_count(r, count)) return false;
  if (count != m_.functions.size())
    return fail("function and code section have inconsistent lengths", at);
  for (uint32_t i = 0; i < count; ++i) {
    ir::Function& f = m_.functions[i];
    uint32_t size;
    if (!r.u32(size)) return fail(r);
    const uint32_t body_at = r.offset();
    std::span<const uint8_t> body;
    if (size > r.remaining()) return fail("length out of bounds", body_at);
    if (!r.bytes(size, body)) return fail(r);
    ByteReader br(body, body_at, kSectionEnd);
    uint32_t decls;
    if (!read_count(br, decls)) return false;
    f.locals.resize(decls);
    uint64_t total = 0;
    for (auto& d : f.locals) {
      const uint32_t decl_at = br.offset();
      if (!br.u32(d.count)) return fail(br);
      total += d.count;
      if (total > 0xFFFFFFFFull) return fail("too many locals", decl_at);
      if (!read_valtype(br, d.type)) return false;
    }
    if (total > kMaxLocals) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "too many locals in function %u (implementation limit %u)",
                    m_.num_imported_funcs + i, static_cast<unsigned>(kMaxLocals));
      return fail(msg, body_at, ErrorKind::Limit);
    }
    f.num_locals = static_cast<uint32_t>(total);
    f.body.offset = br.offset();
    f.body.size = static_cast<uint32_t>(br.remaining());
  }
  return true;
}

// Three encodings: 0 = active in memory 0, 1 = passive, 2 = active with an explicit memory index.
bool Decoder::data_section(ByteReader& r) {
  saw_data_ = true;
  const uint32_t at = r.offset();
  uint32_t count;
  if (!read_count(r, count)) return false;
  if (m_.data_count && *m_.data_count != count)
    return fail("data count and data section have inconsistent lengths", at);
  m_.datas.reserve(cap(r, count));
  for (uint32_t i = 0; i < count; ++i) {
    ir::DataSegment& seg = m_.datas.emplace_back();
    seg.offset_in_module = r.offset();
    uint32_t flags;
    if (!r.u32(flags)) return fail(r);
    if (flags > 2) return fail("malformed data segment kind", seg.offset_in_module);
    if (flags == 1) {
      seg.mode = ir::SegmentMode::Passive;
    } else {
      seg.mode = ir::SegmentMode::Active;
      if (flags == 2 && !r.u32(seg.memory)) return fail(r);
      if (!read_const_expr(r, seg.offset)) return false;
    }
    uint32_t len;
    const uint32_t len_at = r.offset();
    const size_t left = r.remaining();
    if (!r.u32(len)) return fail(r);
    const uint32_t init_at = r.offset();
    // As the reference: a length beyond the bytes left (counted from the length) is out of bounds;
    // one that only overlaps the length's own bytes runs into the end.
    if (len > left) return fail("length out of bounds", len_at);
    if (len > r.remaining()) return fail(kSectionEnd, init_at);
    r.skip(len);
    seg.init = ir::ByteRange{init_at, len};
  }
  return true;
}

bool Decoder::data_count_section(ByteReader& r) {
  uint32_t n;
  if (!r.u32(n)) return fail(r);
  m_.data_count = n;
  return true;
}

bool Decoder::custom_section(ByteReader& r, uint32_t content_offset) {
  ir::CustomSection cs;
  if (!read_name(r, cs.name)) return false;
  cs.contents = ir::ByteRange{r.offset(), static_cast<uint32_t>(r.remaining())};
  r.skip(r.remaining());
  if (cs.name == "name") {
    // Advisory (spec 7.4): a malformed name section is dropped, never an error.
    if (auto names = decode_name_section(m_.range(cs.contents), cs.contents.offset))
      m_.names = std::move(*names);
  }
  m_.customs.push_back(std::move(cs));
  return true;
}


bool Decoder::section(uint8_t id, ByteReader& r, uint32_t content_offset) {
  switch (id) {
    case kType: return type_section(r);
    case kImport: return import_section(r);
    case kFunction: return function_section(r);
    case kTable: return table_section(r);
    case kMemory: return memory_section(r);
    case kGlobal: return global_section(r);
    case kExport: return export_section(r);
    case kStart: return start_section(r);
    case kElement: return element_section(r);
    case kCode: return code_section(r);
    case kData: return data_section(r);
    case kDataCount: return data_count_section(r);
    default: return fail("malformed section id", content_offset);
  }
}

bool Decoder::run() {
  // Offsets in the IR are 32-bit; a larger "module" is refused before anything indexes into it.
  if (m_.bytes.size() > 0xFFFFFFFFull) return fail("module too large", 0, ErrorKind::Limit);
  ByteReader r(std::span<const uint8_t>(m_.bytes), 0, "unexpected end");

  static constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6D};
  static constexpr uint8_t kVersion[4] = {0x01, 0x00, 0x00, 0x00};
  std::span<const uint8_t> head;
  if (!r.bytes(4, head)) return fail(r);
  for (int i = 0; i < 4; ++i)
    if (head[i] != kMagic[i]) return fail("magic header not detected", 0);
  if (!r.bytes(4, head)) return fail(r);
  for (int i = 0; i < 4; ++i)
    if (head[i] != kVersion[i]) return fail("unknown binary version", 4);

  int last_order = 0;
  while (!r.at_end()) {
    const uint32_t id_at = r.offset();
    uint8_t id;
    if (!r.u8(id)) return fail(r);
    if (id > kDataCount) return fail("malformed section id", id_at);
    uint32_t size;
    if (!r.u32(size)) return fail(r);
    const uint32_t content_at = r.offset();
    if (size > r.remaining()) return fail("length out of bounds", content_at);
    if (id != kCustom) {
      const int order = order_of(id);
      if (order <= last_order) return fail("unexpected content after last section", id_at);
      last_order = order;
    }
    section_end_ = content_at + size;
    if (id == kCustom) {
      // A custom section's name is read within its declared size.
      std::span<const uint8_t> content;
      if (!r.bytes(size, content)) return fail(r);
      ByteReader sr(content, content_at, "unexpected end");
      if (!custom_section(sr, content_at)) return false;
      continue;
    }
    // Like the reference decoder, a section's contents are read on past its declared size if they
    // claim more (up to the end of the module, so never out of bounds), and the size is checked
    // afterwards: a short section then fails with what was actually found there ("length out of
    // bounds", "integer representation too long", ...) or "section size mismatch".
    ByteReader sr(std::span<const uint8_t>(m_.bytes).subspan(content_at), content_at, kSectionEnd);
    if (!section(id, sr, content_at)) return false;
    if (sr.pos() != size) return fail("section size mismatch", sr.offset());
    if (!r.skip(size)) return fail(r);
  }

  if (!saw_code_ && !m_.functions.empty())
    return fail("function and code section have inconsistent lengths", r.offset());
  if (!saw_data_ && m_.data_count && *m_.data_count != 0)
    return fail("data count and data section have inconsistent lengths", r.offset());

  // Index spaces: imports first (filled while reading imports), then definitions.
  for (const auto& f : m_.functions) m_.func_types.push_back(f.type);
  for (const auto& t : m_.tables) m_.table_types.push_back(t);
  for (const auto& mem : m_.memories) m_.memory_types.push_back(mem);
  for (const auto& g : m_.globals) m_.global_types.push_back(g.type);
  return true;
}

}  // namespace

Result<ir::Module, engine::Error> decode_shared(std::shared_ptr<const void> owner, std::span<const uint8_t> bytes) {
  ir::Module m;
  m.bytes = bytes;
  m.bytes_owner = std::move(owner);
  Decoder d(m);
  if (!d.run()) return fail(d.take_error());
  return m;
}

Result<ir::Module, engine::Error> decode(std::span<const uint8_t> bytes) {
  auto copy = std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.end());
  std::span<const uint8_t> view(*copy);
  return decode_shared(std::move(copy), view);
}

}  // namespace wasipool::binary
