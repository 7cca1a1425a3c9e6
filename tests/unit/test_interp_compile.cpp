// The interpreter's compiler: deferred local.get/constants, destination and compare fusion, fused
// i32.add addresses, branch value moves, multi-value blocks and skipped unreachable code. Each test
// is built so that a wrong shortcut in the compiler gives a different answer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "test_interp_helpers.h"

namespace wasipool::test {
namespace {

using engine::TrapKind;

TEST(InterpCompile, DeferredLocalGetSeesTheValueBeforeALaterLocalSet) {
  InterpModule m(R"((module
    (func (export "set") (param i32) (result i32)
      local.get 0            ;; deferred read of the old value
      i32.const 100
      local.set 0            ;; must not change what the first local.get pushed
      local.get 0
      i32.add)
    (func (export "tee") (param i32) (result i32)
      local.get 0
      local.get 0
      i32.const 7
      i32.mul
      local.tee 0            ;; the multiply's destination fuses into local 0 ...
      i32.sub)               ;; ... but the first operand is still the old value
    (func (export "fused_dst_hazard") (param i32 i32) (result i32)
      local.get 1            ;; old local 1, still pending below
      local.get 0
      local.get 0
      i32.add
      local.set 1            ;; i32.add cannot simply write local 1: a read of it is pending
      local.get 1
      i32.sub)
    (func (export "swap") (param i32 i32) (result i32)
      local.get 0
      local.get 1
      local.set 0
      local.set 1
      local.get 0
      i32.const 16
      i32.shl
      local.get 1
      i32.or)))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("set", {I32(5)}), 105u);
  EXPECT_EQ(m.bits("tee", {I32(3)}), static_cast<uint32_t>(3 - 21));
  EXPECT_EQ(m.bits("fused_dst_hazard", {I32(10), I32(1)}), static_cast<uint32_t>(1 - 20));
  EXPECT_EQ(m.bits("swap", {I32(1), I32(2)}), 0x00020001u);
}

TEST(InterpCompile, FusedComparesBranchBothWays) {
  // Every integer compare, used as br_if (jump if true) and as if (jump if false, inverted).
  const char* ops[] = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"};
  std::string text = "(module\n";
  for (const char* t : {"i32", "i64"}) {
    for (const char* op : ops) {
      std::string name = std::string(t) + "." + op;
      text += "(func (export \"br_" + name + "\") (param " + t + " " + t + ") (result i32)\n"
              "  (block (br_if 0 (" + name + " (local.get 0) (local.get 1))) (return (i32.const 0)))\n"
              "  (i32.const 1))\n";
      text += "(func (export \"if_" + name + "\") (param " + t + " " + t + ") (result i32)\n"
              "  (if (result i32) (" + name + " (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))\n";
      text += "(func (export \"plain_" + name + "\") (param " + t + " " + t + ") (result i32)\n"
              "  (" + name + " (local.get 0) (local.get 1)))\n";
    }
    std::string eqz = std::string(t) + ".eqz";
    text += "(func (export \"br_" + eqz + "\") (param " + t + ") (result i32)\n"
            "  (block (br_if 0 (" + eqz + " (local.get 0))) (return (i32.const 0))) (i32.const 1))\n";
    text += "(func (export \"if_" + eqz + "\") (param " + t + ") (result i32)\n"
            "  (if (result i32) (" + eqz + " (local.get 0)) (then (i32.const 1)) (else (i32.const 0))))\n";
  }
  text += ")";
  InterpModule m(text);
  ASSERT_TRUE(m.ok());
  const uint64_t vals[] = {0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x8000000000000000ull, ~0ull};
  for (const char* t : {"i32", "i64"}) {
    bool is32 = std::string(t) == "i32";
    for (uint64_t a : vals) {
      for (uint64_t b : vals) {
        if (is32 && (a > 0xFFFFFFFF || b > 0xFFFFFFFF)) continue;
        auto arg = [&](uint64_t v) { return is32 ? I32(static_cast<uint32_t>(v)) : I64(v); };
        for (const char* op : ops) {
          std::string name = std::string(t) + "." + op;
          uint64_t want = m.bits("plain_" + name, {arg(a), arg(b)});  // the unfused compare
          EXPECT_EQ(m.bits("br_" + name, {arg(a), arg(b)}), want) << name << " " << a << " " << b;
          EXPECT_EQ(m.bits("if_" + name, {arg(a), arg(b)}), want) << name << " " << a << " " << b;
        }
      }
      std::string eqz = std::string(t) + ".eqz";
      auto arg = is32 ? I32(static_cast<uint32_t>(a)) : I64(a);
      if (is32 && a > 0xFFFFFFFF) continue;
      EXPECT_EQ(m.bits("br_" + eqz, {arg}), a == 0 ? 1u : 0u);
      EXPECT_EQ(m.bits("if_" + eqz, {arg}), a == 0 ? 1u : 0u);
    }
  }
  // The spot values the loop relies on.
  EXPECT_EQ(m.bits("plain_i32.lt_s", {I32(0x80000000), I32(1)}), 1u);
  EXPECT_EQ(m.bits("plain_i32.lt_u", {I32(0x80000000), I32(1)}), 0u);
}

TEST(InterpCompile, FloatComparesBranchCorrectlyOnNaN) {
  // Float compares fuse only into branches taken on true: "not (a < b)" is not "a >= b" with NaN.
  InterpModule m(R"((module
    (func (export "br_lt") (param f64 f64) (result i32)
      (block (br_if 0 (f64.lt (local.get 0) (local.get 1))) (return (i32.const 0))) (i32.const 1))
    (func (export "if_lt") (param f64 f64) (result i32)
      (if (result i32) (f64.lt (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))
    (func (export "br_ne32") (param f32 f32) (result i32)
      (block (br_if 0 (f32.ne (local.get 0) (local.get 1))) (return (i32.const 0))) (i32.const 1))
    (func (export "loop_le") (param f64) (result i32)
      (local i32)
      (loop $l
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (local.set 0 (f64.add (local.get 0) (f64.const 1)))
        (br_if $l (f64.le (local.get 0) (f64.const 10))))
      (local.get 1))))");
  ASSERT_TRUE(m.ok());
  auto d = [](double v) { return engine::Value::f64(v); };
  auto f = [](float v) { return engine::Value::f32(v); };
  EXPECT_EQ(m.bits("br_lt", {d(1), d(2)}), 1u);
  EXPECT_EQ(m.bits("br_lt", {d(2), d(1)}), 0u);
  EXPECT_EQ(m.bits("br_lt", {d(NAN), d(1)}), 0u);
  EXPECT_EQ(m.bits("if_lt", {d(1), d(2)}), 1u);
  EXPECT_EQ(m.bits("if_lt", {d(NAN), d(1)}), 0u);
  EXPECT_EQ(m.bits("if_lt", {d(1), d(NAN)}), 0u);
  EXPECT_EQ(m.bits("br_ne32", {f(NAN), f(NAN)}), 1u);
  EXPECT_EQ(m.bits("br_ne32", {f(1), f(1)}), 0u);
  EXPECT_EQ(m.bits("loop_le", {d(0)}), 11u);  // x = 1..11
  EXPECT_EQ(m.bits("loop_le", {d(NAN)}), 1u);
}

TEST(InterpCompile, FusedAddressWrapsLikeASeparateAdd) {
  InterpModule m(R"((module
    (memory 1)
    (func (export "load") (param i32 i32) (result i32)
      (i32.load offset=4 (i32.add (local.get 0) (local.get 1))))
    (func (export "store") (param i32 i32 i32)
      (i32.store offset=4 (i32.add (local.get 0) (local.get 1)) (local.get 2)))
    (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))))");
  ASSERT_TRUE(m.ok());
  // 0xFFFFFFFF + 5 wraps to 4 in i32.add; the offset is then added without wrapping: address 8.
  ASSERT_TRUE(m.call("store", {I32(0xFFFFFFFF), I32(5), I32(0xABCD)}).ok());
  EXPECT_EQ(m.bits("peek", {I32(8)}), 0xABCDu);
  EXPECT_EQ(m.bits("load", {I32(0xFFFFFFFF), I32(5)}), 0xABCDu);
  // Last valid word: 65532. One byte further is out of bounds, and so is an offset past the end.
  ASSERT_TRUE(m.call("store", {I32(65520), I32(8), I32(7)}).ok());
  EXPECT_EQ(m.bits("load", {I32(65520), I32(8)}), 7u);
  EXPECT_EQ(m.trap("load", {I32(65520), I32(9)}).kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(m.trap("store", {I32(65530), I32(0), I32(1)}).kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(m.trap("load", {I32(0xFFFFFFF0), I32(0)}).message, "out of bounds memory access");
}

TEST(InterpCompile, DeferredAddsSeeTheirOperandsBeforeLaterSets) {
  // local + const adds are deferred until used; a set of the local in between must not leak in.
  InterpModule m(R"((module
    (memory 1)
    (func $id (param i32) (result i32) (local.get 0))
    (func (export "hazard") (param i32) (result i32)
      (i32.add (local.get 0) (i32.const 4))     ;; deferred: p + 4
      (local.set 0 (i32.const 100))             ;; must not change the pending sum
      (local.get 0)
      (i32.sub))                                ;; (p + 4) - 100
    (func (export "self") (param i32) (result i32)
      (local.set 0 (i32.add (local.get 0) (local.get 0)))   ;; writes the local it reads
      (local.tee 0 (i32.add (local.get 0) (i32.const 1)))
      (local.get 0)
      (i32.add))
    (func (export "mem") (param i32 i32) (result i32)
      (i32.store offset=8 (i32.add (local.get 0) (i32.const 4)) (local.get 1))
      (local.set 1 (i32.add (local.get 0) (i32.const 12)))  ;; deferred, then used as a load address
      (i32.load (local.get 1)))
    (func (export "arg") (param i32) (result i32)
      (call $id (i32.add (local.get 0) (i32.const -1))))
    (func (export "drop") (param i32) (result i32)
      (drop (i32.add (local.get 0) (i32.const 1)))
      (local.get 0))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("hazard", {I32(10)}), static_cast<uint32_t>(14 - 100));
  EXPECT_EQ(m.bits("self", {I32(5)}), 22u);  // 5+5 = 10, then 11, then 11 + 11
  EXPECT_EQ(m.bits("mem", {I32(100), I32(0xBEEF)}), 0xBEEFu);
  EXPECT_EQ(m.bits("mem", {I32(0xFFFFFFFC), I32(7)}), 7u);  // p + 4 wraps to 0, + offset 8
  EXPECT_EQ(m.trap("mem", {I32(65530), I32(1)}).kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(m.bits("arg", {I32(0)}), 0xFFFFFFFFu);
  EXPECT_EQ(m.bits("drop", {I32(3)}), 3u);
}

TEST(InterpCompile, BranchesCarryValuesToTheirTargetHeight) {
  InterpModule m(R"((module
    (func (export "br_depth") (param i32) (result i32)
      (i32.const 1000)                     ;; stays below the block
      (block (result i32)
        (i32.const 1) (i32.const 2) (drop) (drop)   ;; junk above the target height
        (i32.const 5)
        (i32.const 6)
        (br_if 0 (local.get 0))            ;; value 6 must move down to the block's slot
        (i32.add))
      (i32.add))
    (func (export "multi") (param i32) (result i32 i32 i32)
      (block (result i32 i32 i32)
        (i32.const 9)
        (i32.const 1) (i32.const 2) (i32.const 3)
        (br_if 0 (local.get 0))            ;; three values move over the 9
        (drop) (drop) (drop) (drop)
        (i32.const 10) (i32.const 20) (i32.const 30)))
    (func (export "table") (param i32) (result i32)
      (i32.const 7)
      (block (result i32)
        (block (result i32)
          (block (result i32)
            (i32.const 100) (i32.const 1) (i32.const 2) (i32.const 3) (drop) (drop)
            (i32.const 44)
            (br_table 0 1 2 (local.get 0)))
          (i32.const 1) (i32.add))
        (i32.const 10) (i32.add))
      (i32.add))
    (func (export "loop_params") (param i32) (result i32)
      ;; sum 1..n with the accumulator and counter carried as loop parameters
      (i32.const 0) (local.get 0)
      (loop (param i32 i32) (result i32)
        (local.set 0)
        (local.get 0) (i32.add)
        (local.get 0) (i32.const 1) (i32.sub)
        (local.tee 0)
        (br_if 0 (local.get 0))
        (drop)))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("br_depth", {I32(1)}), 1006u);
  EXPECT_EQ(m.bits("br_depth", {I32(0)}), 1011u);
  auto r = m.call("multi", {I32(1)});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].as_i32(), 1);
  EXPECT_EQ((*r)[1].as_i32(), 2);
  EXPECT_EQ((*r)[2].as_i32(), 3);
  r = m.call("multi", {I32(0)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].as_i32(), 10);
  EXPECT_EQ((*r)[2].as_i32(), 30);
  EXPECT_EQ(m.bits("table", {I32(0)}), 7u + 44 + 1 + 10);
  EXPECT_EQ(m.bits("table", {I32(1)}), 7u + 44 + 10);
  EXPECT_EQ(m.bits("table", {I32(2)}), 7u + 44);
  EXPECT_EQ(m.bits("table", {I32(99)}), 7u + 44);  // out of range: the default
  EXPECT_EQ(m.bits("loop_params", {I32(10)}), 55u);
}

TEST(InterpCompile, UnreachableCodeIsSkippedToItsEnd) {
  InterpModule m(R"((module
    (func (export "f") (param i32) (result i32)
      (block $out (result i32)
        (if (local.get 0)
          (then
            (br $out (i32.const 1))
            ;; dead, with nested blocks and an else that must not be mistaken for ours
            (block (if (i32.const 1) (then (unreachable)) (else (unreachable))))
            (unreachable)
            (i32.add)
            (drop))
          (else
            (return (i32.const 2))
            (drop)))
        (i32.const 3)))
    (func (export "after_unreachable") (result i32)
      (block (result i32) (unreachable) (i32.add))
      (drop)
      (i32.const 4))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("f", {I32(1)}), 1u);
  EXPECT_EQ(m.bits("f", {I32(0)}), 2u);
  EXPECT_EQ(m.trap("after_unreachable").kind, TrapKind::Unreachable);
}

TEST(InterpCompile, ZeroStoresAndPairedCopiesKeepTheirEffect) {
  InterpModule m(R"((module
    (func (export "reset") (param i32) (result i32)
      (local i32)
      (local.set 1 (i32.const 0))          ;; may be skipped: the local is still zero
      (if (local.get 0) (then (local.set 1 (i32.const 5))))
      (local.set 1 (i32.const 0))          ;; must not be skipped: the if may have written it
      (local.get 1))
    (func (export "loop") (result i32)
      (local i32 i32 i32)
      (loop $l
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (local.set 0 (i32.const 0))        ;; in a loop: must run on every iteration
        (local.set 2 (i32.add (local.get 2) (local.get 0)))
        (local.set 0 (i32.const 7))
        (br_if $l (i32.lt_u (local.get 1) (i32.const 3))))
      (local.get 2))
    (func (export "rotate") (param i32 i32 i32) (result i32)
      ;; copies in a row, each reading what the previous one wrote: a <- b, b <- c, c <- a
      (local i32)
      (local.set 3 (local.get 0))
      (local.set 0 (local.get 1))
      (local.set 1 (local.get 2))
      (local.set 2 (local.get 3))
      (i32.or (i32.or (i32.shl (local.get 0) (i32.const 16)) (i32.shl (local.get 1) (i32.const 8)))
              (local.get 2)))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("reset", {I32(1)}), 0u);
  EXPECT_EQ(m.bits("reset", {I32(0)}), 0u);
  EXPECT_EQ(m.bits("loop"), 0u);  // 14 if the zero store were skipped on later iterations
  EXPECT_EQ(m.bits("rotate", {I32(1), I32(2), I32(3)}), 0x020301u);
}

TEST(InterpCompile, ConstantsAndSelectShareSlotsSafely) {
  InterpModule m(R"((module
    (func (export "f") (param i32) (result i64)
      (local i64)
      (local.set 1 (i64.const -1))
      (select (i64.const -1) (i64.add (local.get 1) (i64.const 2)) (local.get 0)))
    (func (export "consts") (result i32)
      ;; the same bit pattern as i32 and f32 constants, and as i64 (which differs in width)
      (i32.add (i32.reinterpret_f32 (f32.const 1)) (i32.const 0x3f800000)))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("f", {I32(1)}), ~0ull);
  EXPECT_EQ(m.bits("f", {I32(0)}), 1ull);
  EXPECT_EQ(m.bits("consts"), 0x7F000000u);
}

TEST(InterpCompile, LargeValidFunctionsCompileAndRun) {
  // Deep nesting, a wide br_table and many locals: sizes a fuzzer or a code generator produces.
  std::string nest, ends;
  for (int i = 0; i < 1000; ++i) {
    nest += "(block ";
    ends += ")";
  }
  std::string targets;
  for (int i = 0; i < 5000; ++i) targets += std::to_string(i % 3) + " ";
  std::string locals;
  for (int i = 0; i < 20000; ++i) locals += " i64";
  InterpModule m("(module"
                 " (func (export \"deep\") (param i32) (result i32) " + nest +
                 "(br_if 999 (local.get 0)) (local.set 0 (i32.const 7))" + ends + " (local.get 0))"
                 " (func (export \"wide\") (param i32) (result i32)"
                 "  (block (block (block (br_table " + targets + " (local.get 0))) (return (i32.const 10)))"
                 "   (return (i32.const 11))) (i32.const 12))"
                 " (func $big (export \"big\") (param i32) (result i64) (local" + locals + ")"
                 "  (local.set 19999 (i64.extend_i32_u (local.get 0)))"
                 "  (if (result i64) (i32.eqz (local.get 0)) (then (local.get 19998))"
                 "   (else (i64.add (local.get 19999) (call $big (i32.sub (local.get 0) (i32.const 1))))))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("deep", {I32(3)}), 3u);
  EXPECT_EQ(m.bits("deep", {I32(0)}), 7u);
  EXPECT_EQ(m.bits("wide", {I32(0)}), 10u);
  EXPECT_EQ(m.bits("wide", {I32(4)}), 11u);     // 4 % 3 == 1
  EXPECT_EQ(m.bits("wide", {I32(4998)}), 10u);  // 4998 % 3 == 0
  EXPECT_EQ(m.bits("wide", {I32(5)}), 12u);     // 5 % 3 == 2
  EXPECT_EQ(m.bits("wide", {I32(99999)}), 11u); // default: the last label, 4999 % 3 == 1
  EXPECT_EQ(m.bits("big", {I32(100)}), 5050u);  // 100 frames of 20000 locals each
}

}  // namespace
}  // namespace wasipool::test
