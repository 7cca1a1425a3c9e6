// The shared instruction reader: immediates of every kind, reserved bytes, unknown and proposal opcodes.
#include <gtest/gtest.h>

#include <string>

#include "../../src/engine/binary/instr_reader.h"
#include "test_binary_builder.h"

namespace wasipool::binary {
namespace {

using namespace wasipool::testing;
using engine::ErrorKind;

Instr read_one(const Bytes& code, uint32_t base = 0x100) {
  InstrReader r(code, base);
  auto i = r.next();
  EXPECT_TRUE(i.ok()) << (i.ok() ? "" : i.error().message);
  EXPECT_TRUE(r.at_end()) << "immediates not fully consumed";
  return i.ok() ? *i : Instr{};
}

engine::Error read_fails(const Bytes& code) {
  InstrReader r(code, 0x100);
  auto i = r.next();
  EXPECT_FALSE(i.ok());
  return i.ok() ? engine::Error{} : i.error();
}

TEST(BinaryInstrReader, SimpleAndIndexImmediates) {
  Instr i = read_one({0x6A});
  EXPECT_EQ(i.op, ir::Opcode::I32Add);
  EXPECT_EQ(i.offset, 0x100u);
  i = read_one(cat({Bytes{0x20}, uleb(300)}));
  EXPECT_EQ(i.op, ir::Opcode::LocalGet);
  EXPECT_EQ(i.a, 300u);
  i = read_one(cat({Bytes{0x11}, uleb(7), uleb(2)}));
  EXPECT_EQ(i.op, ir::Opcode::CallIndirect);
  EXPECT_EQ(i.a, 7u);
  EXPECT_EQ(i.b, 2u);
  // call_indirect's table index is a full LEB since reference types: overlong zero is fine.
  i = read_one({0x11, 0x00, 0x80, 0x00});
  EXPECT_EQ(i.b, 0u);
}

TEST(BinaryInstrReader, Constants) {
  Instr i = read_one(cat({Bytes{0x41}, sleb(-1)}));
  EXPECT_EQ(i.value, 0xFFFFFFFFu);  // i32 as u32, zero-extended
  i = read_one(cat({Bytes{0x42}, sleb(INT64_MIN)}));
  EXPECT_EQ(i.value, 0x8000000000000000u);
  i = read_one({0x43, 0x00, 0x00, 0xC0, 0x7F});
  EXPECT_EQ(i.value, 0x7FC00000u);
  i = read_one({0x44, 1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(i.value, 0x0807060504030201u);
  EXPECT_EQ(read_fails({0x44, 1, 2, 3}).kind, ErrorKind::Malformed);
  EXPECT_NE(read_fails({0x41, 0x80, 0x80, 0x80, 0x80, 0x70}).message.find("integer too large"),
            std::string::npos);
}

// The inline fast path (instr_reader.h) and the general decoder must agree: a reused Instr through
// next(Instr&), one-byte forms at the very end of the code, the sign of one-byte i32.const, LEB128s
// padded to the maximum length (wasm-ld's call indices) and the errors the fast paths hand over.
TEST(BinaryInstrReader, FastPathsAgreeWithTheGeneralDecoder) {
  const Bytes code = {0x20, 0x05,                          // local.get 5
                      0x41, 0x7D,                          // i32.const -3
                      0x41, 0x3F,                          // i32.const 63
                      0x41, 0xC0, 0x00,                    // i32.const 64 (two bytes)
                      0x10, 0x85, 0x80, 0x80, 0x80, 0x00,  // call 5, padded to 5 bytes
                      0x6A,                                // i32.add
                      0x10, 0x85, 0x00};                   // call 5, 2 bytes, at the end
  InstrReader r(code, 0x10);
  Instr in;
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.op, ir::Opcode::LocalGet);
  EXPECT_EQ(in.a, 5u);
  EXPECT_EQ(in.offset, 0x10u);
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.op, ir::Opcode::I32Const);
  EXPECT_EQ(in.value, 0xFFFFFFFDu);
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.value, 63u);
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.value, 64u);
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.op, ir::Opcode::Call);
  EXPECT_EQ(in.a, 5u);
  EXPECT_EQ(in.offset, 0x19u);
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.op, ir::Opcode::I32Add);
  EXPECT_EQ(in.offset, 0x1Fu);
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.op, ir::Opcode::Call);
  EXPECT_EQ(in.a, 5u);
  EXPECT_TRUE(r.at_end());

  // s32 LEB of 2-5 bytes, both signs, and an overlong form.
  EXPECT_EQ(read_one(cat({Bytes{0x41}, sleb(-1000)})).value, static_cast<uint32_t>(-1000));
  EXPECT_EQ(read_one(cat({Bytes{0x41}, sleb(100000)})).value, 100000u);
  EXPECT_EQ(read_one({0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}).value, 0xFFFFFFFFu);
  EXPECT_EQ(read_one({0x41, 0x80, 0x80, 0x80, 0x80, 0x78}).value, 0x80000000u);
  EXPECT_EQ(read_one(cat({Bytes{0x41}, sleb(-100000000)})).value, static_cast<uint32_t>(-100000000));
  EXPECT_EQ(read_one({0x41, 0xFF, 0x7F}).value, 0xFFFFFFFFu);  // overlong -1
  // u32 LEB: the 5th byte may carry only 4 more bits; a 6th byte is always too long.
  EXPECT_EQ(read_one({0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}).a, 0xFFFFFFFFu);
  EXPECT_NE(read_fails({0x10, 0x80, 0x80, 0x80, 0x80, 0x10}).message.find("integer too large"),
            std::string::npos);
  EXPECT_NE(read_fails({0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}).message.find("integer"),
            std::string::npos);
  // An index immediate missing at the end of the code, or cut inside its LEB128.
  EXPECT_EQ(read_fails({0x20}).kind, ErrorKind::Malformed);
  EXPECT_EQ(read_fails({0x20, 0x80}).kind, ErrorKind::Malformed);
  EXPECT_EQ(read_fails({0x41}).kind, ErrorKind::Malformed);
  // memarg: both one-byte (inline), a two-byte offset (general decoder), cut short at the end.
  Instr m = read_one({0x28, 0x02, 0x08});
  EXPECT_EQ(m.op, ir::Opcode::I32Load);
  EXPECT_EQ(m.align, 2u);
  EXPECT_EQ(m.mem_offset, 8u);
  m = read_one({0x36, 0x02, 0x80, 0x01});
  EXPECT_EQ(m.op, ir::Opcode::I32Store);
  EXPECT_EQ(m.mem_offset, 128u);
  EXPECT_EQ(read_fails({0x28, 0x02}).kind, ErrorKind::Malformed);
  // Unknown one-byte opcodes still get the general decoder's message.
  EXPECT_NE(read_fails({0x27}).message.find("illegal opcode 0x27"), std::string::npos);
}

TEST(BinaryInstrReader, BlockTypes) {
  Instr i = read_one({0x02, 0x40});
  EXPECT_EQ(i.block.kind, BlockType::Kind::Empty);
  i = read_one({0x03, 0x7E});
  EXPECT_EQ(i.block.kind, BlockType::Kind::Value);
  EXPECT_EQ(i.block.value, ir::ValType::I64);
  i = read_one({0x04, 0x6F});
  EXPECT_EQ(i.block.value, ir::ValType::ExternRef);
  i = read_one(cat({Bytes{0x02}, sleb(5)}));
  EXPECT_EQ(i.block.kind, BlockType::Kind::TypeIndex);
  EXPECT_EQ(i.block.type_index, 5u);
  i = read_one(cat({Bytes{0x02}, sleb(200000)}));
  EXPECT_EQ(i.block.type_index, 200000u);
  EXPECT_EQ(read_fails({0x02, 0x7B}).kind, ErrorKind::Unsupported);
  EXPECT_EQ(read_fails({0x02, 0x60}).kind, ErrorKind::Malformed);  // negative, not a value type
}

TEST(BinaryInstrReader, BrTableReusesItsBuffer) {
  Bytes code = cat({Bytes{0x0E}, uleb(3), uleb(0), uleb(1), uleb(2), uleb(9), Bytes{0x0E, 0x00, 0x04}});
  InstrReader r(code, 0);
  auto a = r.next();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::vector<uint32_t>(a->targets.begin(), a->targets.end()),
            (std::vector<uint32_t>{0, 1, 2, 9}));
  auto b = r.next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(std::vector<uint32_t>(b->targets.begin(), b->targets.end()), (std::vector<uint32_t>{4}));
  EXPECT_TRUE(r.at_end());
  // A forged target count fails without reserving for it.
  EXPECT_EQ(read_fails(cat({Bytes{0x0E}, uleb(0xFFFFFFFF), Bytes{0x00}})).kind, ErrorKind::Malformed);
}

TEST(BinaryInstrReader, MemoryImmediatesAndZeroBytes) {
  Instr i = read_one(cat({Bytes{0x28}, uleb(2), uleb(0xFFFFFFFF)}));
  EXPECT_EQ(i.op, ir::Opcode::I32Load);
  EXPECT_EQ(i.align, 2u);
  EXPECT_EQ(i.mem_offset, 0xFFFFFFFFu);
  read_one({0x3F, 0x00});
  read_one({0x40, 0x00});
  for (const Bytes& bad : {Bytes{0x3F, 0x01}, Bytes{0x40, 0x80, 0x00}, Bytes{0xFC, 0x0A, 0x00, 0x01},
                           Bytes{0xFC, 0x0B, 0x01}, Bytes{0xFC, 0x08, 0x00, 0x01}}) {
    engine::Error e = read_fails(bad);
    EXPECT_EQ(e.kind, ErrorKind::Malformed);
    EXPECT_NE(e.message.find("zero byte expected"), std::string::npos) << e.message;
  }
  i = read_one({0xFC, 0x08, 0x03, 0x00});
  EXPECT_EQ(i.op, ir::Opcode::MemoryInit);
  EXPECT_EQ(i.a, 3u);
}

TEST(BinaryInstrReader, PrefixedAndReferenceOps) {
  Instr i = read_one({0xFC, 0x0C, 0x05, 0x01});
  EXPECT_EQ(i.op, ir::Opcode::TableInit);
  EXPECT_EQ(i.a, 5u);  // elem
  EXPECT_EQ(i.b, 1u);  // table
  i = read_one({0xFC, 0x0E, 0x02, 0x03});
  EXPECT_EQ(i.op, ir::Opcode::TableCopy);
  EXPECT_EQ(i.a, 2u);  // destination
  EXPECT_EQ(i.b, 3u);  // source
  // The sub-opcode is a u32 LEB: an overlong encoding is still the same instruction.
  i = read_one({0xFC, 0x87, 0x80, 0x00});
  EXPECT_EQ(i.op, ir::Opcode::I64TruncSatF64U);
  i = read_one({0xD0, 0x6F});
  EXPECT_EQ(i.ref_type, ir::ValType::ExternRef);
  EXPECT_EQ(read_fails({0xD0, 0x7F}).kind, ErrorKind::Malformed);
  i = read_one({0x1C, 0x01, 0x7D});
  EXPECT_EQ(i.op, ir::Opcode::SelectT);
  EXPECT_EQ(i.select_count, 1u);
  EXPECT_EQ(i.ref_type, ir::ValType::F32);
}

TEST(BinaryInstrReader, UnknownAndProposalOpcodes) {
  engine::Error e = read_fails({0xFD, 0x0C});
  EXPECT_EQ(e.kind, ErrorKind::Unsupported);
  EXPECT_EQ(e.message, "unsupported feature: simd at offset 0x100");
  e = read_fails({0x12, 0x00});
  EXPECT_EQ(e.kind, ErrorKind::Unsupported);
  EXPECT_NE(e.message.find("tail-call"), std::string::npos);
  e = read_fails({0xFE, 0x00});
  EXPECT_NE(e.message.find("threads"), std::string::npos);
  e = read_fails({0x27});
  EXPECT_EQ(e.kind, ErrorKind::Malformed);
  EXPECT_EQ(e.message, "illegal opcode 0x27 at offset 0x100");
  e = read_fails({0xFC, 0x12});
  EXPECT_EQ(e.kind, ErrorKind::Malformed);
  EXPECT_NE(e.message.find("illegal opcode"), std::string::npos);
  e = read_fails({0x20});
  EXPECT_NE(e.message.find("unexpected end"), std::string::npos);
}

}  // namespace
}  // namespace wasipool::binary
