// Validator: function bodies (operand and control stacks, polymorphism, every instruction group) and
// module-level rules, through binary::decode + validate::validate.
#include <gtest/gtest.h>

#include <string>

#include "../../src/engine/binary/decode.h"
#include "../../src/engine/validate/validate.h"
#include "test_binary_builder.h"

namespace wasipool::validate {
namespace {

using namespace wasipool::testing;
using engine::ErrorKind;

Result<Ok, engine::Error> check(const Bytes& b) {
  auto m = binary::decode(b);
  if (!m) return fail(m.error());
  return validate(*m);
}

void valid(const Bytes& b) {
  auto r = check(b);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
}

void invalid(const Bytes& b, const std::string& text, ErrorKind kind = ErrorKind::Invalid) {
  auto r = check(b);
  ASSERT_FALSE(r.ok()) << "expected: " << text;
  EXPECT_EQ(r.error().kind, kind) << r.error().message;
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

Bytes fn(const Bytes& params, const Bytes& results) { return functype(params, results); }
const Bytes kVoid = functype({}, {});
Bytes memory_section() { return section(5, vec({Bytes{0x00, 0x01}})); }

TEST(Validate, SimpleOperatorsAndErrorFormat) {
  valid(one_func(fn({I32, I32}, {I32}), {0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B}));
  auto r = check(one_func(fn({I32, F64}, {I32}), {0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  // "<reason> in function <i> at offset 0x<hex>: <detail>"; the i32.add is at module offset 0x1e
  // (8 header + 9 type section + 4 function section + 5 code section/entry headers + 4 body bytes).
  EXPECT_EQ(r.error().message, "type mismatch in function 0 at offset 0x1e: expected i32, got f64");
  invalid(one_func(fn({}, {I32}), {0x0B}), "type mismatch");                    // missing result
  invalid(one_func(fn({}, {}), {0x41, 0x01, 0x0B}), "type mismatch");           // extra value
  invalid(one_func(fn({}, {I64}), {0x41, 0x01, 0x0B}), "type mismatch");        // wrong result
  valid(one_func(fn({F32}, {F64}), {0x20, 0x00, 0xBB, 0x0B}));                   // f64.promote_f32
  valid(one_func(fn({F64}, {I64}), {0x20, 0x00, 0xFC, 0x07, 0x0B}));             // i64.trunc_sat_f64_u
  valid(one_func(fn({I64}, {I64}), {0x20, 0x00, 0xC4, 0x0B}));                   // i64.extend32_s
}

TEST(Validate, Locals) {
  Bytes locals = vec({cat({uleb(2), Bytes{F32}}), cat({uleb(1), Bytes{EXTERNREF}})});
  valid(one_func(fn({I32}, {F32}), {0x20, 0x02, 0x0B}, locals));
  valid(one_func(fn({I32}, {}), {0x20, 0x03, 0x21, 0x03, 0x0B}, locals));
  invalid(one_func(fn({I32}, {}), {0x20, 0x04, 0x1A, 0x0B}, locals), "unknown local 4");
  invalid(one_func(fn({I32}, {}), {0x43, 0, 0, 0, 0, 0x21, 0x00, 0x0B}, locals), "type mismatch");
  valid(one_func(fn({I32}, {I32}), {0x41, 0x07, 0x22, 0x00, 0x0B}, locals));  // local.tee
}

TEST(Validate, BlocksAndBranches) {
  // block (result i32) i32.const 1 end
  valid(one_func(fn({}, {I32}), {0x02, I32, 0x41, 0x01, 0x0B, 0x0B}));
  // br out of a block with a value; the code after it is unreachable and polymorphic.
  valid(one_func(fn({}, {I32}), {0x02, I32, 0x41, 0x01, 0x0C, 0x00, 0x6A, 0x0B, 0x0B}));
  invalid(one_func(fn({}, {}), {0x0C, 0x01, 0x0B}), "unknown label");
  // loop labels take the loop's params: br 0 inside loop (result i32) needs nothing.
  valid(one_func(fn({}, {I32}), {0x03, I32, 0x0C, 0x00, 0x0B, 0x0B}));
  // if without else must not change the types: if (result i32) is invalid.
  invalid(one_func(fn({I32}, {I32}), {0x20, 0x00, 0x04, I32, 0x41, 0x01, 0x0B, 0x0B}), "type mismatch");
  valid(one_func(fn({I32}, {I32}), {0x20, 0x00, 0x04, I32, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0B, 0x0B}));
  // if needs its i32 condition.
  invalid(one_func(fn({}, {}), {0x04, 0x40, 0x0B, 0x0B}), "type mismatch");
  // br_if keeps the label values on the stack.
  valid(one_func(fn({I32}, {I32}), {0x02, I32, 0x41, 0x05, 0x20, 0x00, 0x0D, 0x00, 0x0B, 0x0B}));
  // return checks the function results.
  valid(one_func(fn({}, {I64}), {0x42, 0x01, 0x0F, 0x0B}));
  invalid(one_func(fn({}, {I64}), {0x41, 0x01, 0x0F, 0x0B}), "type mismatch");
  // else outside if.
  invalid(one_func(fn({}, {}), {0x05, 0x0B}), "END opcode expected", ErrorKind::Malformed);
}

TEST(Validate, MultiValueBlocks) {
  Bytes types = section(1, vec({fn({}, {I32, I64}), fn({I32, I64}, {I64, I32})}));
  Bytes funcs = section(3, vec({uleb(0)}));
  auto with_body = [&](const Bytes& body) {
    return module({types, funcs, section(10, vec({code_entry({0x00}, body)}))});
  };
  // block (type 1): params i32 i64 -> results i64 i32, swapping through locals is not needed: use br.
  valid(with_body({0x41, 0x01, 0x42, 0x02, 0x02, 0x01, 0x1A, 0x1A, 0x42, 0x03, 0x41, 0x04, 0x0B,
                   0x1A, 0x1A, 0x41, 0x00, 0x42, 0x00, 0x0B}));
  // block (type 1) with its params missing.
  invalid(with_body({0x02, 0x01, 0x1A, 0x1A, 0x42, 0x03, 0x41, 0x04, 0x0B, 0x1A, 0x1A, 0x41, 0x00,
                     0x42, 0x00, 0x0B}),
          "type mismatch");
  invalid(with_body({0x02, 0x09, 0x0B, 0x41, 0x00, 0x42, 0x00, 0x0B}), "unknown type 9");
  // The function's own two results.
  valid(with_body({0x41, 0x00, 0x42, 0x00, 0x0B}));
  invalid(with_body({0x42, 0x00, 0x41, 0x00, 0x0B}), "type mismatch");
}

TEST(Validate, BrTable) {
  // br_table 0 1 with the same arity.
  valid(one_func(fn({I32}, {I32}),
                 {0x02, I32, 0x02, I32, 0x41, 0x01, 0x20, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x0B, 0x0B}));
  // Targets with different arities.
  invalid(one_func(fn({I32}, {I32}),
                   {0x02, I32, 0x02, 0x40, 0x41, 0x01, 0x20, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x41,
                    0x00, 0x0B, 0x0B}),
          "type mismatch");
  // In unreachable code, targets of different types (f32 and f64) may meet on Unknown values.
  valid(one_func(fn({}, {}), {0x02, F64, 0x02, F32, 0x00, 0x0E, 0x02, 0x00, 0x01, 0x01, 0x0B, 0x1A,
                              0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0x1A, 0x0B}));
}

TEST(Validate, UnreachableIsPolymorphic) {
  valid(one_func(fn({}, {I32}), {0x00, 0x0B}));
  valid(one_func(fn({}, {I32}), {0x00, 0x6A, 0x0B}));
  valid(one_func(fn({}, {}), {0x00, 0x1B, 0x1A, 0x0B}));         // select of Unknowns
  valid(one_func(fn({}, {}), {0x00, 0x1B, 0xD1, 0x1A, 0x0B}));   // ref.is_null of Unknown
  // A concrete value under the polymorphic part still has to match.
  invalid(one_func(fn({}, {I32}), {0x00, 0x42, 0x00, 0x6A, 0x0B}), "type mismatch");
  // But values pushed before `unreachable` are dropped with the frame's stack.
  valid(one_func(fn({}, {I32}), {0x42, 0x00, 0x00, 0x0B}));
}

TEST(Validate, Select) {
  valid(one_func(fn({I32}, {F32}), {0x43, 0, 0, 0, 0, 0x43, 0, 0, 0, 0, 0x20, 0x00, 0x1B, 0x0B}));
  invalid(one_func(fn({I32}, {F32}), {0x43, 0, 0, 0, 0, 0x41, 0x00, 0x20, 0x00, 0x1B, 0x0B}),
          "type mismatch");
  // Untyped select refuses references; typed select takes them.
  invalid(one_func(fn({I32}, {}), {0xD0, FUNCREF, 0xD0, FUNCREF, 0x20, 0x00, 0x1B, 0x1A, 0x0B}),
          "type mismatch");
  valid(one_func(fn({I32}, {}), {0xD0, FUNCREF, 0xD0, FUNCREF, 0x20, 0x00, 0x1C, 0x01, FUNCREF, 0x1A, 0x0B}));
  invalid(one_func(fn({I32}, {}), {0x41, 0, 0x41, 0, 0x20, 0x00, 0x1C, 0x02, I32, I32, 0x1A, 0x0B}),
          "invalid result arity");
}

TEST(Validate, MemoryInstructions) {
  Bytes mem = memory_section();
  valid(one_func(fn({I32}, {I64}), {0x20, 0x00, 0x29, 0x03, 0x00, 0x0B}, {0x00}, mem));
  invalid(one_func(fn({I32}, {I64}), {0x20, 0x00, 0x29, 0x04, 0x00, 0x0B}, {0x00}, mem),
          "alignment must not be larger than natural");
  invalid(one_func(fn({I32}, {I32}), {0x20, 0x00, 0x2C, 0x01, 0x00, 0x0B}, {0x00}, mem),
          "alignment must not be larger than natural");
  invalid(one_func(fn({I32}, {I64}), {0x20, 0x00, 0x29, 0x03, 0x00, 0x0B}), "unknown memory");
  invalid(one_func(fn({}, {I32}), {0x3F, 0x00, 0x0B}), "unknown memory");
  valid(one_func(fn({}, {I32}), {0x3F, 0x00, 0x40, 0x00, 0x0B}, {0x00}, mem));
  valid(one_func(fn({}, {}), {0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0A, 0x00, 0x00, 0x0B}, {0x00}, mem));
  invalid(one_func(fn({}, {}), {0x41, 0, 0x41, 0, 0xFC, 0x0B, 0x00, 0x0B}, {0x00}, mem), "type mismatch");
}

TEST(Validate, DataSegmentsNeedTheDataCountSection) {
  Bytes mem = memory_section();
  Bytes data = section(11, vec({cat({uleb(1), name("hi")})}));
  Bytes init = {0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x08, 0x00, 0x00, 0xFC, 0x09, 0x00, 0x0B};
  valid(one_func(kVoid, init, {0x00}, cat({mem, section(12, uleb(1))}), data));
  // Without the data count section the module is malformed (binary format rule).
  invalid(one_func(kVoid, init, {0x00}, mem, data), "data count section required", ErrorKind::Malformed);
  invalid(one_func(kVoid, {0xFC, 0x09, 0x01, 0x0B}, {0x00}, cat({mem, section(12, uleb(1))}), data),
          "unknown data segment 1");
}

TEST(Validate, Globals) {
  Bytes globals = section(6, vec({Bytes{I32, 0x00, 0x41, 0x05, 0x0B}, Bytes{I64, 0x01, 0x42, 0x05, 0x0B}}));
  valid(one_func(fn({}, {I32}), {0x23, 0x00, 0x0B}, {0x00}, globals));
  valid(one_func(fn({}, {}), {0x42, 0x01, 0x24, 0x01, 0x0B}, {0x00}, globals));
  invalid(one_func(fn({}, {}), {0x41, 0x01, 0x24, 0x00, 0x0B}, {0x00}, globals), "global is immutable");
  invalid(one_func(fn({}, {}), {0x23, 0x02, 0x1A, 0x0B}, {0x00}, globals), "unknown global 2");
}

TEST(Validate, ConstantExpressions) {
  auto global_module = [](const Bytes& type_and_init) { return module({section(6, vec({type_and_init}))}); };
  valid(global_module({I32, 0x00, 0x41, 0x05, 0x0B}));
  valid(global_module({FUNCREF, 0x00, 0xD0, FUNCREF, 0x0B}));
  invalid(global_module({I32, 0x00, 0x41, 0x05, 0x41, 0x05, 0x6A, 0x0B}), "constant expression required");
  invalid(global_module({I32, 0x00, 0x42, 0x05, 0x0B}), "type mismatch");
  invalid(global_module({I32, 0x00, 0x0B}), "type mismatch");
  invalid(global_module({I32, 0x00, 0x41, 0x01, 0x41, 0x02, 0x0B}), "type mismatch");
  invalid(global_module({I32, 0x00, 0x23, 0x00, 0x0B}), "unknown global 0");
  // global.get may name an immutable imported global only.
  Bytes imp_const = section(2, vec({cat({name("m"), name("g"), Bytes{0x03, I32, 0x00}})}));
  Bytes imp_mut = section(2, vec({cat({name("m"), name("g"), Bytes{0x03, I32, 0x01}})}));
  Bytes g = section(6, vec({Bytes{I32, 0x00, 0x23, 0x00, 0x0B}}));
  valid(module({imp_const, g}));
  invalid(module({imp_mut, g}), "constant expression required");
  // Defined globals are not visible to other initialisers.
  invalid(module({section(6, vec({Bytes{I32, 0x00, 0x41, 0x00, 0x0B}, Bytes{I32, 0x00, 0x23, 0x00, 0x0B}}))}),
          "unknown global 0");
}

TEST(Validate, RefFuncNeedsADeclaration) {
  Bytes body = {0xD2, 0x00, 0x1A, 0x0B};
  invalid(one_func(kVoid, body), "undeclared function reference");
  // Declared by an export, by a declarative element segment, or by a global initialiser.
  valid(one_func(kVoid, body, {0x00}, section(7, vec({cat({name("f"), Bytes{0x00, 0x00}})}))));
  valid(one_func(kVoid, body, {0x00}, section(9, vec({cat({uleb(3), Bytes{0x00}, vec({uleb(0)})})}))));
  valid(one_func(kVoid, body, {0x00}, section(6, vec({Bytes{FUNCREF, 0x00, 0xD2, 0x00, 0x0B}}))));
  invalid(one_func(kVoid, {0xD2, 0x05, 0x1A, 0x0B}), "unknown function 5");
}

TEST(Validate, TablesAndCalls) {
  Bytes tables = section(4, vec({Bytes{FUNCREF, 0x00, 0x01}, Bytes{EXTERNREF, 0x00, 0x01}}));
  // table.get/set/size/grow/fill on both tables.
  valid(one_func(kVoid, {0x41, 0, 0x25, 0x01, 0x1A, 0x41, 0, 0xD0, EXTERNREF, 0x26, 0x01, 0xFC, 0x10, 0x00,
                         0x1A, 0xD0, FUNCREF, 0x41, 0x01, 0xFC, 0x0F, 0x00, 0x1A, 0x41, 0, 0xD0,
                         EXTERNREF, 0x41, 0x01, 0xFC, 0x11, 0x01, 0x0B},
                 {0x00}, tables));
  invalid(one_func(kVoid, {0x41, 0, 0xD0, FUNCREF, 0x26, 0x01, 0x0B}, {0x00}, tables), "type mismatch");
  invalid(one_func(kVoid, {0xFC, 0x10, 0x02, 0x1A, 0x0B}, {0x00}, tables), "unknown table 2");
  // table.copy between tables of different element types.
  invalid(one_func(kVoid, {0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0E, 0x00, 0x01, 0x0B}, {0x00}, tables),
          "type mismatch");
  // call_indirect needs a funcref table and a known type.
  valid(one_func(kVoid, {0x41, 0, 0x11, 0x00, 0x00, 0x0B}, {0x00}, tables));
  invalid(one_func(kVoid, {0x41, 0, 0x11, 0x00, 0x01, 0x0B}, {0x00}, tables), "type mismatch");
  invalid(one_func(kVoid, {0x41, 0, 0x11, 0x03, 0x00, 0x0B}, {0x00}, tables), "unknown type 3");
  // call: arguments and results.
  valid(one_func(kVoid, {0x10, 0x00, 0x0B}));
  invalid(one_func(kVoid, {0x10, 0x01, 0x0B}), "unknown function 1");
  invalid(one_func(fn({I32}, {}), {0x10, 0x00, 0x0B}), "type mismatch");
  // table.init / elem.drop.
  Bytes elem = section(9, vec({cat({uleb(5), Bytes{EXTERNREF}, vec({})})}));
  valid(one_func(kVoid, {0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0C, 0x00, 0x01, 0xFC, 0x0D, 0x00, 0x0B}, {0x00},
                 cat({tables, elem})));
  invalid(one_func(kVoid, {0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0C, 0x00, 0x00, 0x0B}, {0x00}, cat({tables, elem})),
          "type mismatch");
  invalid(one_func(kVoid, {0xFC, 0x0D, 0x01, 0x0B}, {0x00}, cat({tables, elem})), "unknown elem segment 1");
}

TEST(Validate, ModuleLevelRules) {
  invalid(module({section(5, vec({Bytes{0x00, 0x01}, Bytes{0x00, 0x01}}))}), "multiple memories");
  invalid(module({section(5, vec({Bytes{0x01, 0x02, 0x01}}))}), "size minimum must not be greater than maximum");
  invalid(module({section(4, vec({Bytes{FUNCREF, 0x01, 0x02, 0x01}}))}),
          "size minimum must not be greater than maximum");
  invalid(module({section(5, vec({cat({Bytes{0x00}, uleb(65537)})}))}), "memory size must be at most 65536 pages");
  valid(module({section(5, vec({cat({Bytes{0x01}, uleb(0), uleb(65536)})}))}));
  // Exports: unique names, known indices.
  Bytes two_exports = section(7, vec({cat({name("f"), Bytes{0x00, 0x00}}), cat({name("f"), Bytes{0x00, 0x00}})}));
  invalid(one_func(kVoid, {0x0B}, {0x00}, two_exports), "duplicate export name");
  invalid(one_func(kVoid, {0x0B}, {0x00}, section(7, vec({cat({name("m"), Bytes{0x02, 0x00}})}))),
          "unknown memory 0");
  // Start function: known, and () -> ().
  valid(one_func(kVoid, {0x0B}, {0x00}, section(8, uleb(0))));
  invalid(one_func(fn({I32}, {}), {0x0B}, {0x00}, section(8, uleb(0))), "start function");
  invalid(one_func(kVoid, {0x0B}, {0x00}, section(8, uleb(1))), "unknown function 1");
  // Function type index out of range.
  invalid(module({section(1, vec({kVoid})), section(3, vec({uleb(1)})),
                  section(10, vec({code_entry({0x00}, {0x0B})}))}),
          "unknown type 1");
  // Element segments: table index, offset type, element type vs table type.
  Bytes table = section(4, vec({Bytes{FUNCREF, 0x00, 0x01}}));
  invalid(one_func(kVoid, {0x0B}, {0x00}, cat({table, section(9, vec({cat({uleb(2), uleb(1), Bytes{0x41, 0, 0x0B, 0x00}, vec({})})}))})),
          "unknown table 1");
  invalid(one_func(kVoid, {0x0B}, {0x00}, cat({table, section(9, vec({cat({uleb(0), Bytes{0x42, 0, 0x0B}, vec({})})}))})),
          "type mismatch");
  invalid(one_func(kVoid, {0x0B}, {0x00},
                   cat({table, section(9, vec({cat({uleb(6), uleb(0), Bytes{0x41, 0, 0x0B, EXTERNREF}, vec({})})}))})),
          "type mismatch");
  // Data segment in a module without memory.
  invalid(module({section(11, vec({cat({uleb(0), Bytes{0x41, 0, 0x0B}, name("x")})}))}), "unknown memory 0");
}

TEST(Validate, BodyEncodingErrorsAreMalformed) {
  // Body ends inside a block / runs on after the final end / illegal opcode / SIMD.
  invalid(one_func(kVoid, {0x02, 0x40, 0x0B}), "unexpected end of section or function in function 0",
          ErrorKind::Malformed);
  invalid(one_func(kVoid, {0x0B, 0x01}), "section size mismatch", ErrorKind::Malformed);
  invalid(one_func(kVoid, {0x27, 0x0B}), "illegal opcode 0x27", ErrorKind::Malformed);
  invalid(one_func(kVoid, {0xFD, 0x0F, 0x0B}), "unsupported feature: simd", ErrorKind::Unsupported);
  invalid(one_func(kVoid, {}), "unexpected end", ErrorKind::Malformed);
}

TEST(Validate, MalformedWinsOverInvalid) {
  // Function 0 is invalid (i32.add of nothing), function 1 is malformed (illegal opcode): the spec
  // decodes everything before validating, so the module is malformed.
  Bytes m = module({section(1, vec({kVoid})), section(3, vec({uleb(0), uleb(0)})),
                    section(10, vec({code_entry({0x00}, {0x6A, 0x0B}), code_entry({0x00}, {0x27, 0x0B})}))});
  invalid(m, "illegal opcode 0x27", ErrorKind::Malformed);
  // A body missing its end reads on into the next body, where `else` cannot continue it.
  Bytes overrun = module({section(1, vec({kVoid})), section(3, vec({uleb(0), uleb(0)})),
                          section(10, vec({code_entry({0x00}, {0x41, 0x01, 0x1A}),
                                           code_entry({0x00}, {0x41, 0x01, 0x1A, 0x0B})}))});
  invalid(overrun, "END opcode expected", ErrorKind::Malformed);
  // Without a malformed body the validation error stands.
  invalid(one_func(kVoid, {0x6A, 0x0B}), "type mismatch");
}

}  // namespace
}  // namespace wasipool::validate
