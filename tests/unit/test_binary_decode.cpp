// Decoder: framing, every section kind, and the malformed/unsupported cases, through binary::decode.
#include <gtest/gtest.h>

#include <string>

#include "../../src/engine/binary/decode.h"
#include "test_binary_builder.h"

namespace wasipool::binary {
namespace {

using namespace wasipool::testing;
using engine::ErrorKind;

ir::Module decode_ok(const Bytes& b) {
  auto r = decode(b);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : ir::Module{};
}

// Expects a failure of `kind` whose message contains `text`.
void decode_fails(const Bytes& b, ErrorKind kind, const std::string& text) {
  auto r = decode(b);
  ASSERT_FALSE(r.ok()) << "expected failure: " << text;
  EXPECT_EQ(r.error().kind, kind) << r.error().message;
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("at offset 0x"), std::string::npos) << r.error().message;
}

TEST(BinaryDecode, Header) {
  EXPECT_EQ(decode_ok(header()).types.size(), 0u);
  decode_fails({}, ErrorKind::Malformed, "unexpected end");
  decode_fails({0x00, 0x61, 0x73}, ErrorKind::Malformed, "unexpected end");
  decode_fails({0x00, 0x61, 0x73, 0x6E, 1, 0, 0, 0}, ErrorKind::Malformed, "magic header not detected");
  decode_fails({0x00, 0x61, 0x73, 0x6D, 2, 0, 0, 0}, ErrorKind::Malformed, "unknown binary version");
  decode_fails({0x00, 0x61, 0x73, 0x6D, 1, 0, 0}, ErrorKind::Malformed, "unexpected end");
}

TEST(BinaryDecode, SectionFraming) {
  decode_fails(module({Bytes{0x0D, 0x00}}), ErrorKind::Malformed, "malformed section id");
  decode_fails(module({Bytes{0x80, 0x00, 0x01, 0x00}}), ErrorKind::Malformed, "malformed section id");
  // Declared size beyond the module.
  decode_fails(module({Bytes{0x01, 0x05, 0x00}}), ErrorKind::Malformed, "length out of bounds");
  // A type section with trailing bytes inside its declared size.
  decode_fails(module({section(1, {0x00, 0x00})}), ErrorKind::Malformed, "section size mismatch");
  // Out of order and duplicate sections.
  decode_fails(module({section(3, {0x00}), section(1, {0x00})}), ErrorKind::Malformed,
               "unexpected content after last section");
  decode_fails(module({section(1, {0x00}), section(1, {0x00})}), ErrorKind::Malformed,
               "unexpected content after last section");
  // The data count section goes between element and code.
  EXPECT_TRUE(decode(module({section(9, {0x00}), section(12, {0x00}), section(10, {0x00})})).ok());
  decode_fails(module({section(10, {0x00}), section(12, {0x00})}), ErrorKind::Malformed,
               "unexpected content after last section");
  // Custom sections go anywhere, any number of times.
  ir::Module m = decode_ok(module({section(0, name("a")), section(1, {0x00}), section(0, cat({name("b"), Bytes{1, 2, 3}})),
                                   section(0, name("a"))}));
  ASSERT_EQ(m.customs.size(), 3u);
  EXPECT_EQ(m.customs[1].name, "b");
  EXPECT_EQ(m.customs[1].contents.size, 3u);
  EXPECT_EQ(m.range(m.customs[1].contents)[2], 3);
}

TEST(BinaryDecode, Utf8Names) {
  decode_fails(module({section(0, cat({uleb(2), Bytes{0xC0, 0x80}}))}), ErrorKind::Malformed,
               "malformed UTF-8 encoding");  // overlong NUL
  decode_fails(module({section(0, cat({uleb(3), Bytes{0xED, 0xA0, 0x80}}))}), ErrorKind::Malformed,
               "malformed UTF-8 encoding");  // surrogate
  decode_fails(module({section(0, cat({uleb(4), Bytes{0xF4, 0x90, 0x80, 0x80}}))}),
               ErrorKind::Malformed, "malformed UTF-8 encoding");  // above U+10FFFF
  decode_fails(module({section(0, cat({uleb(1), Bytes{0xE2}}))}), ErrorKind::Malformed,
               "malformed UTF-8 encoding");  // truncated
  ir::Module m = decode_ok(module({section(0, cat({uleb(4), Bytes{0xF0, 0x9F, 0x98, 0x80}}))}));
  EXPECT_EQ(m.customs[0].name, "\xF0\x9F\x98\x80");
  // Import names too.
  decode_fails(module({section(2, cat({uleb(1), uleb(1), Bytes{0xFF}, name("f"), Bytes{0x00, 0x00}}))}),
               ErrorKind::Malformed, "malformed UTF-8 encoding");
}

TEST(BinaryDecode, TypesImportsAndIndexSpaces) {
  Bytes types = section(1, vec({functype({I32, I64}, {F32}), functype({}, {})}));
  Bytes imports = section(2, vec({
      cat({name("env"), name("f"), Bytes{0x00}, uleb(1)}),
      cat({name("env"), name("t"), Bytes{0x01, FUNCREF, 0x01, 0x01, 0x05}}),
      cat({name("env"), name("m"), Bytes{0x02, 0x00, 0x02}}),
      cat({name("env"), name("g"), Bytes{0x03, I64, 0x01}}),
  }));
  Bytes funcs = section(3, vec({uleb(0)}));
  Bytes tables = section(4, vec({Bytes{EXTERNREF, 0x00, 0x07}}));
  Bytes globals = section(6, vec({cat({Bytes{F64, 0x00, 0x44}, Bytes(8, 0), Bytes{0x0B}})}));
  Bytes code = section(10, vec({code_entry({0x00}, {0x0B})}));
  ir::Module m = decode_ok(module({types, imports, funcs, tables, globals, code}));
  ASSERT_EQ(m.types.size(), 2u);
  EXPECT_EQ(m.types[0].params, (std::vector<ir::ValType>{ir::ValType::I32, ir::ValType::I64}));
  EXPECT_EQ(m.types[0].results, (std::vector<ir::ValType>{ir::ValType::F32}));
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.num_imported_tables, 1u);
  EXPECT_EQ(m.num_imported_memories, 1u);
  EXPECT_EQ(m.num_imported_globals, 1u);
  EXPECT_EQ(m.func_types, (std::vector<uint32_t>{1, 0}));
  ASSERT_EQ(m.table_types.size(), 2u);
  EXPECT_EQ(m.table_types[0].limits.max, std::optional<uint64_t>(5));
  EXPECT_EQ(m.table_types[1].elem, ir::ValType::ExternRef);
  EXPECT_EQ(m.table_types[1].limits.min, 7u);
  EXPECT_FALSE(m.table_types[1].limits.max.has_value());
  ASSERT_EQ(m.memory_types.size(), 1u);
  EXPECT_EQ(m.memory_types[0].limits.min, 2u);
  ASSERT_EQ(m.global_types.size(), 2u);
  EXPECT_TRUE(m.global_types[0].is_mutable);
  EXPECT_EQ(m.global_types[1].type, ir::ValType::F64);
  ASSERT_EQ(m.globals[0].init.instrs.size(), 1u);
  EXPECT_EQ(m.globals[0].init.instrs[0].op, ir::Opcode::F64Const);
  EXPECT_EQ(m.functions[0].body.size, 1u);

  decode_fails(module({section(2, vec({cat({name("a"), name("b"), Bytes{0x04, 0x00}})}))}),
               ErrorKind::Malformed, "malformed import kind");
  decode_fails(module({section(6, vec({Bytes{I32, 0x02, 0x41, 0x00, 0x0B}}))}), ErrorKind::Malformed,
               "malformed mutability");
  decode_fails(module({section(1, vec({Bytes{0x61, 0x00, 0x00}}))}), ErrorKind::Malformed,
               "malformed functype");
  decode_fails(module({section(1, vec({functype({0x7B}, {})}))}), ErrorKind::Unsupported,
               "unsupported feature: simd");
  decode_fails(module({section(1, vec({Bytes{0x5F, 0x00}}))}), ErrorKind::Unsupported,
               "unsupported feature: gc");
}

TEST(BinaryDecode, Limits) {
  decode_fails(module({section(5, vec({Bytes{0x03, 0x01, 0x02}}))}), ErrorKind::Unsupported,
               "unsupported feature: threads");
  decode_fails(module({section(5, vec({Bytes{0x04, 0x01}}))}), ErrorKind::Unsupported,
               "unsupported feature: memory64");
  decode_fails(module({section(5, vec({Bytes{0x02, 0x01}}))}), ErrorKind::Malformed, "integer too large");
  decode_fails(module({section(4, vec({Bytes{FUNCREF, 0x81, 0x00, 0x00}}))}), ErrorKind::Malformed,
               "integer representation too long");
  decode_fails(module({section(4, vec({Bytes{0x40, 0x00, 0x00}}))}), ErrorKind::Malformed,
               "malformed reference type");
  decode_fails(module({section(5, vec({Bytes{0x00, 0x82, 0x80, 0x80, 0x80, 0x70}}))}),
               ErrorKind::Malformed, "integer too large");
}

TEST(BinaryDecode, CodeSection) {
  Bytes types = section(1, vec({functype({}, {})}));
  // Function and code counts must agree, including an absent code section.
  decode_fails(module({types, section(3, vec({uleb(0)}))}), ErrorKind::Malformed,
               "function and code section have inconsistent lengths");
  decode_fails(module({types, section(10, vec({code_entry({0x00}, {0x0B})}))}), ErrorKind::Malformed,
               "function and code section have inconsistent lengths");
  // Local declarations: run-length counts summed; more than 2^32-1 in total is malformed.
  ir::Module m = decode_ok(module({types, section(3, vec({uleb(0)})),
                                   section(10, vec({code_entry(vec({cat({uleb(2), Bytes{I32}}),
                                                                    cat({uleb(3), Bytes{F64}})}),
                                                               {0x0B})}))}));
  ASSERT_EQ(m.functions[0].locals.size(), 2u);
  EXPECT_EQ(m.functions[0].num_locals, 5u);
  EXPECT_EQ(m.functions[0].locals[1].type, ir::ValType::F64);
  EXPECT_EQ(m.bytes[m.functions[0].body.offset], 0x0B);
  decode_fails(module({types, section(3, vec({uleb(0)})),
                       section(10, vec({code_entry(vec({cat({uleb(0xFFFFFFFF), Bytes{I32}}),
                                                        cat({uleb(1), Bytes{I32}})}),
                                                   {0x0B})}))}),
               ErrorKind::Malformed, "too many locals");
  // Within 2^32-1 but beyond the implementation limit: refused as a resource limit, not a crash.
  decode_fails(module({types, section(3, vec({uleb(0)})),
                       section(10, vec({code_entry(vec({cat({uleb(0xFFFFFFFF), Bytes{I32}})}), {0x0B})}))}),
               ErrorKind::Limit, "too many locals");
  // A body whose declared size runs past the section.
  decode_fails(module({types, section(3, vec({uleb(0)})), section(10, {0x01, 0x05, 0x00, 0x0B})}),
               ErrorKind::Malformed, "length out of bounds");
}

TEST(BinaryDecode, ElementSegmentEncodings) {
  Bytes types = section(1, vec({functype({}, {})}));
  Bytes funcs = section(3, vec({uleb(0)}));
  Bytes table = section(4, vec({Bytes{FUNCREF, 0x00, 0x01}}));
  Bytes offset = {0x41, 0x00, 0x0B};  // i32.const 0 end
  Bytes elems = section(9, vec({
      cat({uleb(0), offset, vec({uleb(0)})}),                               // active, table 0, funcidx
      cat({uleb(1), Bytes{0x00}, vec({uleb(0)})}),                          // passive, elemkind
      cat({uleb(2), uleb(0), offset, Bytes{0x00}, vec({uleb(0)})}),         // active, table x
      cat({uleb(3), Bytes{0x00}, vec({uleb(0)})}),                          // declarative
      cat({uleb(4), offset, vec({Bytes{0xD2, 0x00, 0x0B}})}),               // active, exprs
      cat({uleb(5), Bytes{EXTERNREF}, vec({Bytes{0xD0, EXTERNREF, 0x0B}})}),  // passive, exprs
      cat({uleb(6), uleb(0), offset, Bytes{FUNCREF}, vec({Bytes{0xD0, FUNCREF, 0x0B}})}),
      cat({uleb(7), Bytes{FUNCREF}, vec({Bytes{0xD2, 0x00, 0x0B}})}),       // declarative, exprs
  }));
  Bytes code = section(10, vec({code_entry({0x00}, {0x0B})}));
  ir::Module m = decode_ok(module({types, funcs, table, elems, code}));
  ASSERT_EQ(m.elems.size(), 8u);
  using ir::SegmentMode;
  const SegmentMode modes[8] = {SegmentMode::Active, SegmentMode::Passive, SegmentMode::Active,
                                SegmentMode::Declarative, SegmentMode::Active, SegmentMode::Passive,
                                SegmentMode::Active, SegmentMode::Declarative};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(m.elems[i].mode, modes[i]) << i;
    ASSERT_EQ(m.elems[i].init.size(), 1u) << i;
  }
  EXPECT_EQ(m.elems[0].init[0].instrs[0].op, ir::Opcode::RefFunc);
  EXPECT_EQ(m.elems[5].type, ir::ValType::ExternRef);
  EXPECT_EQ(m.elems[5].init[0].instrs[0].op, ir::Opcode::RefNull);
  EXPECT_EQ(m.elems[5].init[0].instrs[0].ref_type, ir::ValType::ExternRef);
  EXPECT_EQ(m.elems[4].offset.instrs[0].op, ir::Opcode::I32Const);

  decode_fails(module({types, funcs, table, section(9, vec({cat({uleb(8), offset, vec({})})})), code}),
               ErrorKind::Malformed, "malformed elements segment kind");
  decode_fails(module({types, funcs, table, section(9, vec({cat({uleb(1), Bytes{0x01}, vec({})})})), code}),
               ErrorKind::Malformed, "malformed element kind");
  decode_fails(module({types, funcs, table, section(9, vec({cat({uleb(5), Bytes{I32}, vec({})})})), code}),
               ErrorKind::Malformed, "malformed reference type");
}

TEST(BinaryDecode, DataSegmentsAndDataCount) {
  Bytes mem = section(5, vec({Bytes{0x00, 0x01}}));
  Bytes offset = {0x41, 0x2A, 0x0B};
  Bytes datas = section(11, vec({
      cat({uleb(0), offset, name("ab")}),
      cat({uleb(1), name("xyz")}),
      cat({uleb(2), uleb(0), offset, name("")}),
  }));
  ir::Module m = decode_ok(module({mem, section(12, uleb(3)), datas}));
  ASSERT_EQ(m.datas.size(), 3u);
  EXPECT_EQ(m.data_count, std::optional<uint32_t>(3));
  EXPECT_EQ(m.datas[0].mode, ir::SegmentMode::Active);
  EXPECT_EQ(m.datas[0].offset.instrs[0].imm, 42u);
  EXPECT_EQ(m.datas[1].mode, ir::SegmentMode::Passive);
  EXPECT_EQ(m.datas[1].init.size, 3u);
  EXPECT_EQ(m.range(m.datas[1].init)[0], 'x');
  EXPECT_EQ(m.datas[2].init.size, 0u);

  decode_fails(module({mem, section(12, uleb(2)), datas}), ErrorKind::Malformed,
               "data count and data section have inconsistent lengths");
  decode_fails(module({mem, section(12, uleb(1))}), ErrorKind::Malformed,
               "data count and data section have inconsistent lengths");
  decode_fails(module({mem, section(11, vec({cat({uleb(3), name("")})}))}), ErrorKind::Malformed,
               "malformed data segment kind");
  decode_fails(module({mem, section(11, vec({cat({uleb(1), uleb(10), Bytes{1, 2}})}))}),
               ErrorKind::Malformed, "length out of bounds");
  // 3 bytes declared, 2 given: the length fits the bytes counted from the length itself, then the
  // read runs out (the reference decoder's distinction).
  decode_fails(module({mem, section(11, vec({cat({uleb(1), uleb(3), Bytes{1, 2}})}))}),
               ErrorKind::Malformed, "unexpected end of section or function");
}

TEST(BinaryDecode, ConstExprsAreInstructionLists) {
  // Anything decodable is kept (the validator decides what is constant), nested blocks included.
  Bytes g = cat({Bytes{I32, 0x00}, Bytes{0x02, 0x7F, 0x41, 0x05, 0x0B, 0x41}, sleb(-7), Bytes{0x6A, 0x0B}});
  ir::Module m = decode_ok(module({section(6, vec({g}))}));
  const auto& ins = m.globals[0].init.instrs;
  ASSERT_EQ(ins.size(), 5u);
  EXPECT_EQ(ins[0].op, ir::Opcode::Block);
  EXPECT_EQ(ins[2].op, ir::Opcode::End);
  EXPECT_EQ(ins[3].op, ir::Opcode::I32Const);
  EXPECT_EQ(static_cast<int64_t>(ins[3].imm), -7);  // sign-extended
  EXPECT_EQ(ins[4].op, ir::Opcode::I32Add);
  // A missing end runs into the next bytes and out of the section.
  decode_fails(module({section(6, vec({Bytes{I32, 0x00, 0x41, 0x00}}))}), ErrorKind::Malformed,
               "unexpected end");
  decode_fails(module({section(6, vec({Bytes{I32, 0x00, 0xFD, 0x0C}}))}), ErrorKind::Unsupported,
               "unsupported feature: simd");
}

TEST(BinaryDecode, ExportsAndStart) {
  Bytes types = section(1, vec({functype({}, {})}));
  Bytes funcs = section(3, vec({uleb(0)}));
  Bytes exports = section(7, vec({cat({name("run"), Bytes{0x00}, uleb(0)})}));
  Bytes code = section(10, vec({code_entry({0x00}, {0x0B})}));
  ir::Module m = decode_ok(module({types, funcs, exports, section(8, uleb(0)), code}));
  ASSERT_EQ(m.exports.size(), 1u);
  EXPECT_EQ(m.exports[0].name, "run");
  EXPECT_EQ(m.start, std::optional<uint32_t>(0));
  decode_fails(module({section(7, vec({cat({name("x"), Bytes{0x04}, uleb(0)})}))}), ErrorKind::Malformed,
               "malformed export kind");
}

TEST(BinaryDecode, NameSectionIsBestEffort) {
  Bytes types = section(1, vec({functype({I32}, {})}));
  Bytes funcs = section(3, vec({uleb(0)}));
  Bytes code = section(10, vec({code_entry({0x00}, {0x0B})}));
  Bytes module_name = cat({Bytes{0x00}, uleb(name("mod").size()), name("mod")});
  Bytes fn_names_content = vec({cat({uleb(0), name("main")})});
  Bytes fn_names = cat({Bytes{0x01}, uleb(fn_names_content.size()), fn_names_content});
  Bytes local_content = vec({cat({uleb(0), vec({cat({uleb(0), name("arg")})})})});
  Bytes local_names = cat({Bytes{0x02}, uleb(local_content.size()), local_content});
  Bytes names = section(0, cat({name("name"), module_name, fn_names, local_names}));
  ir::Module m = decode_ok(module({types, funcs, code, names}));
  EXPECT_EQ(m.names.module, std::optional<std::string>("mod"));
  EXPECT_EQ(m.names.functions.at(0), "main");
  EXPECT_EQ(m.names.locals.at(0).at(0), "arg");

  // A broken name section is ignored, not an error.
  Bytes broken = section(0, cat({name("name"), Bytes{0x01, 0x09, 0x05}}));
  ir::Module m2 = decode_ok(module({types, funcs, code, broken}));
  EXPECT_TRUE(m2.names.functions.empty());
  EXPECT_EQ(m2.customs.size(), 1u);
}

TEST(BinaryDecode, ImplementationLimitsOnTypeArity) {
  Bytes many(1000, I32);
  EXPECT_TRUE(decode(module({section(1, vec({functype(many, many)}))})).ok());
  many.push_back(I32);
  decode_fails(module({section(1, vec({functype(many, {})}))}), ErrorKind::Limit, "too many parameters");
  decode_fails(module({section(1, vec({functype({}, many)}))}), ErrorKind::Limit, "too many results");
}

TEST(BinaryDecode, SectionsAreReadLikeTheReferenceDecoder) {
  // A section whose contents claim more than its size is read on (within the module), and fails with
  // what is found there; a short vector at the very end runs out of bytes.
  decode_fails(module({section(4, {0x01})}), ErrorKind::Malformed, "unexpected end of section or function");
  // Function section of size 2 whose type index LEB runs on for 6 bytes.
  decode_fails(cat({header(), Bytes{0x03, 0x02, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}}),
               ErrorKind::Malformed, "integer representation too long");
  // Two exports declared, one given: the next "name length" is the code section's id (0x0a).
  decode_fails(module({section(7, cat({uleb(2), name("f1"), Bytes{0x00, 0x00}})),
                       section(10, vec({code_entry({0x00}, {0x0B}), code_entry({0x00}, {0x0B})}))}),
               ErrorKind::Malformed, "length out of bounds");
  // Contents that end early: section size mismatch.
  decode_fails(module({section(1, {0x01, 0x60, 0x00, 0x00, 0x00})}), ErrorKind::Malformed, "section size mismatch");
  // Custom sections are read within their size ("unexpected end" for a name cut off by it).
  decode_fails(cat({header(), Bytes{0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x07, 0x00, 0x00}}),
               ErrorKind::Malformed, "unexpected end");
}

TEST(BinaryDecode, ForgedCountsDoNotAllocate) {
  // Counts of 2^32-1 with nothing behind them must fail cleanly and quickly.
  decode_fails(module({section(1, uleb(0xFFFFFFFF))}), ErrorKind::Malformed, "length out of bounds");
  decode_fails(module({section(3, uleb(0xFFFFFFFF))}), ErrorKind::Malformed, "length out of bounds");
  decode_fails(module({section(9, uleb(0xFFFFFFFF))}), ErrorKind::Malformed, "length out of bounds");
  decode_fails(module({section(11, uleb(0xFFFFFFFF))}), ErrorKind::Malformed, "length out of bounds");
}

}  // namespace
}  // namespace wasipool::binary
