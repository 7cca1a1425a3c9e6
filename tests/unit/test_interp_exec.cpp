// The interpreter's executor: frames and results in place, the explicit frame stack (growth while a
// host function re-enters the guest), backtraces, call_indirect checks, and exact integer and float
// semantics at the edges the host CPU gets "wrong" by default.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>

#include "test_interp_helpers.h"

namespace wasipool::test {
namespace {

using engine::TrapKind;
using engine::Value;
using ir::ValType;

TEST(InterpExec, ResultsOverwriteTheCallHeaderOnlyAfterItIsRead) {
  // No parameters and three results: the results land where the callee's call header was.
  InterpModule m(R"((module
    (func $three (result i32 i32 i32) (i32.const 1) (i32.const 2) (i32.const 3))
    (func $one (result i64) (i64.const 0x123456789))
    (func (export "f") (result i32)
      (local i32)
      (local.set 0 (i32.const 1000))
      (call $three)
      (i32.add) (i32.add)
      (i32.wrap_i64 (call $one))
      (i32.add)
      (local.get 0)
      (i32.add))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("f"), 1000u + 6 + 0x23456789);
}

TEST(InterpExec, ManyArgumentsPassInPlace) {
  std::string params, sum;
  for (int i = 0; i < 40; ++i) {
    params += " i64";
    sum += "(local.get " + std::to_string(i) + ") " + (i ? "(i64.add) " : "");
  }
  std::string args;
  for (int i = 0; i < 40; ++i) args += "(i64.const " + std::to_string(i + 1) + ") ";
  InterpModule m("(module (func $sum (param" + params + ") (result i64) " + sum +
                 ") (func (export \"f\") (result i64) (i64.const 5000) " + args +
                 "(call $sum) (i64.add)))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("f"), 5000u + 40 * 41 / 2);
}

TEST(InterpExec, HostReentryMayGrowTheStackUnderARunningFrame) {
  // host "deep"(n) calls the guest's "rec"(n), which recurses n frames with big frames, forcing the
  // interpreter stack to grow (and move) while the outer guest frame is suspended in the host call.
  engine::Linker linker;
  linker.define_function("env", "deep", sig({ValType::I32}, {ValType::I32}),
                         [](engine::Caller& c, std::span<const uint64_t> a, std::span<uint64_t> out) {
                           auto rec = c.instance()->get_func("rec");
                           auto r = c.store().call(*rec, std::vector<Value>{Value::i32(static_cast<uint32_t>(a[0]))});
                           if (!r) return engine::HostResult{std::move(r).error()};
                           out[0] = (*r)[0].as_u32();
                           return engine::HostResult{};
                         });
  std::string locals;
  for (int i = 0; i < 200; ++i) locals += " i64";
  InterpModule m(R"((module
    (import "env" "deep" (func $deep (param i32) (result i32)))
    (func $rec (export "rec") (param i32) (result i32) (local)" + locals + R"()
      (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
        (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
    (func (export "outer") (param i32) (result i32)
      (local i32 i32)
      (local.set 1 (i32.const 11))
      (local.set 2 (i32.const 22))
      (i32.const 1000)
      (call $deep (local.get 0))
      (i32.add)
      (i32.add (local.get 1) (local.get 2))
      (i32.add))))", engine::EngineConfig{}, linker);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("outer", {I32(3)}), 1000u + 3 + 33);
  EXPECT_EQ(m.bits("outer", {I32(3000)}), 1000u + 3000 + 33);
}

TEST(InterpExec, TrapsCarryABacktraceInnermostFirst) {
  InterpModule m(R"((module
    (func $c (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))   ;; 0
    (func $b (param i32) (result i32) (i32.add (i32.const 1) (call $c (local.get 0))))  ;; 1
    (func (export "a") (param i32) (result i32) (call $b (local.get 0))))  ;; 2
  )");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("a", {I32(1)}), 2u);
  engine::Trap t = m.trap("a", {I32(0)});
  EXPECT_EQ(t.kind, TrapKind::IntegerDivideByZero);
  EXPECT_EQ(t.message, "integer divide by zero");
  EXPECT_EQ(t.backtrace, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(m.bits("a", {I32(1)}), 2u);  // the store is usable after a trap
}

TEST(InterpExec, HostTrapsUnwindTheGuest) {
  engine::Linker linker;
  linker.define_function("env", "exit", sig({ValType::I32}, {}),
                         [](engine::Caller&, std::span<const uint64_t> a, std::span<uint64_t>) {
                           return engine::HostResult{engine::Trap::exit(static_cast<int32_t>(a[0]))};
                         });
  InterpModule m(R"((module
    (import "env" "exit" (func $exit (param i32)))
    (global $g (mut i32) (i32.const 0))
    (func (export "run") (call $exit (i32.const 42)) (global.set $g (i32.const 1)))
    (func (export "g") (result i32) (global.get $g))))", engine::EngineConfig{}, linker);
  ASSERT_TRUE(m.ok());
  engine::Trap t = m.trap("run");
  EXPECT_EQ(t.kind, TrapKind::Exit);
  EXPECT_EQ(t.exit_code, 42);
  EXPECT_EQ(m.bits("g"), 0u);  // nothing after the host call ran
}

TEST(InterpExec, CallIndirectChecksIndexEntryAndType) {
  InterpModule m(R"((module
    (type $ii (func (param i32) (result i32)))
    (type $v (func))
    (table 3 funcref)
    (elem (i32.const 0) $double $nothing)
    (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
    (func $nothing (type $v))
    (func (export "call") (param i32 i32) (result i32)
      (call_indirect (type $ii) (local.get 1) (local.get 0)))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("call", {I32(0), I32(21)}), 42u);
  EXPECT_EQ(m.trap("call", {I32(1), I32(0)}).message, "indirect call type mismatch");
  EXPECT_EQ(m.trap("call", {I32(2), I32(0)}).message, "uninitialized element");
  EXPECT_EQ(m.trap("call", {I32(3), I32(0)}).message, "undefined element");
  EXPECT_EQ(m.trap("call", {I32(0xFFFFFFFF), I32(0)}).kind, TrapKind::UndefinedElement);
}

TEST(InterpExec, IntegerEdgesNeverReachTheHostCpu) {
  InterpModule m(R"((module
    (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
    (func (export "div_s64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
    (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
    (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
    (func (export "rotr64") (param i64 i64) (result i64) (i64.rotr (local.get 0) (local.get 1)))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.trap("div_s", {I32(0x80000000), I32(0xFFFFFFFF)}).message, "integer overflow");
  EXPECT_EQ(m.trap("div_s", {I32(1), I32(0)}).message, "integer divide by zero");
  EXPECT_EQ(m.bits("rem_s", {I32(0x80000000), I32(0xFFFFFFFF)}), 0u);
  EXPECT_EQ(m.bits("rem_s", {I32(static_cast<uint32_t>(-7)), I32(2)}), static_cast<uint32_t>(-1));
  EXPECT_EQ(m.trap("div_s64", {I64(0x8000000000000000ull), I64(~0ull)}).kind, TrapKind::IntegerOverflow);
  EXPECT_EQ(m.bits("rem_s64", {I64(0x8000000000000000ull), I64(~0ull)}), 0u);
  EXPECT_EQ(m.bits("shl", {I32(1), I32(33)}), 2u);  // shift counts are taken modulo the width
  EXPECT_EQ(m.bits("rotr64", {I64(1), I64(65)}), 0x8000000000000000ull);
}

TEST(InterpExec, FloatBitsAndEdgesAreExact) {
  InterpModule m(R"((module
    (memory 1)
    (func (export "neg") (param i32) (result i32) (i32.reinterpret_f32 (f32.neg (f32.reinterpret_i32 (local.get 0)))))
    (func (export "abs64") (param i64) (result i64) (i64.reinterpret_f64 (f64.abs (f64.reinterpret_i64 (local.get 0)))))
    (func (export "copysign") (param i32 i32) (result i32)
      (i32.reinterpret_f32 (f32.copysign (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))
    (func (export "roundtrip") (param i32) (result i32)   ;; a signalling NaN through f32 memory
      (f32.store (i32.const 8) (f32.reinterpret_i32 (local.get 0)))
      (i32.reinterpret_f32 (f32.load (i32.const 8))))
    (func (export "min") (param f64 f64) (result i64) (i64.reinterpret_f64 (f64.min (local.get 0) (local.get 1))))
    (func (export "max") (param f64 f64) (result i64) (i64.reinterpret_f64 (f64.max (local.get 0) (local.get 1))))
    (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
    (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
    (func (export "trunc_u64") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
    (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))
    (func (export "u64_to_f32") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("neg", {I32(0x7FA00001)}), 0xFFA00001u);  // payload kept, sign flipped
  EXPECT_EQ(m.bits("abs64", {I64(0xFFF4000000000001ull)}), 0x7FF4000000000001ull);
  EXPECT_EQ(m.bits("copysign", {I32(0x7F800001), I32(0x80000000)}), 0xFF800001u);
  EXPECT_EQ(m.bits("roundtrip", {I32(0x7F800001)}), 0x7F800001u);
  auto d = [](double v) { return Value::f64(v); };
  EXPECT_EQ(m.bits("min", {d(0.0), d(-0.0)}), 0x8000000000000000ull);
  EXPECT_EQ(m.bits("min", {d(-0.0), d(0.0)}), 0x8000000000000000ull);
  EXPECT_EQ(m.bits("max", {d(-0.0), d(0.0)}), 0u);
  uint64_t nan = m.bits("min", {d(1.0), d(NAN)});
  EXPECT_EQ(nan & 0x7FF8000000000000ull, 0x7FF8000000000000ull);  // a quiet NaN
  auto r = m.call("nearest", {d(2.5)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].as_f64(), 2.0);  // ties to even
  r = m.call("nearest", {d(-3.5)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].as_f64(), -4.0);
  EXPECT_EQ(m.bits("trunc", {d(-2147483648.9)}), 0x80000000u);  // truncates into range
  EXPECT_EQ(m.trap("trunc", {d(-2147483649.0)}).message, "integer overflow");
  EXPECT_EQ(m.trap("trunc", {d(2147483648.0)}).message, "integer overflow");
  EXPECT_EQ(m.trap("trunc", {d(NAN)}).message, "invalid conversion to integer");
  EXPECT_EQ(m.bits("trunc_u64", {Value::f32(-0.75f)}), 0u);
  EXPECT_EQ(m.bits("trunc_u64", {Value::f32(1.8446743e19f)}), 18446742974197923840ull);
  EXPECT_EQ(m.trap("trunc_u64", {Value::f32(1.8446744e19f)}).kind, TrapKind::IntegerOverflow);
  EXPECT_EQ(m.bits("sat", {d(-5.0)}), 0u);
  EXPECT_EQ(m.bits("sat", {d(1e20)}), 0xFFFFFFFFu);
  EXPECT_EQ(m.bits("sat", {d(NAN)}), 0u);
  // 2^64 - 1 rounds to 2^64 as f32 (one correctly rounded conversion, not two).
  r = m.call("u64_to_f32", {I64(~0ull)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].as_f32(), 18446744073709551616.0f);
  r = m.call("u64_to_f32", {I64(0x8000008000000001ull)});  // just above a tie: rounds up
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].as_f32(), 9223373136366403584.0f);
}

TEST(InterpExec, BulkMemoryChecksBeforeWriting) {
  InterpModule m(R"((module
    (memory 1)
    (data $d "hello")
    (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop") (data.drop $d))
    (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))))");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m.call("init", {I32(100), I32(0), I32(5)}).ok());
  EXPECT_EQ(m.bits("byte", {I32(104)}), static_cast<uint32_t>('o'));
  ASSERT_TRUE(m.call("copy", {I32(102), I32(100), I32(5)}).ok());  // overlapping: memmove semantics
  EXPECT_EQ(m.bits("byte", {I32(106)}), static_cast<uint32_t>('o'));
  EXPECT_EQ(m.bits("byte", {I32(103)}), static_cast<uint32_t>('e'));
  EXPECT_EQ(m.trap("fill", {I32(65530), I32(0xAA), I32(7)}).kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(m.bits("byte", {I32(65530)}), 0u);  // nothing written by the trapping fill
  EXPECT_TRUE(m.call("fill", {I32(65536), I32(1), I32(0)}).ok());  // empty range at the end is fine
  EXPECT_EQ(m.trap("copy", {I32(0), I32(0xFFFFFFFF), I32(2)}).kind, TrapKind::MemoryOutOfBounds);
  ASSERT_TRUE(m.call("drop").ok());
  EXPECT_EQ(m.trap("init", {I32(0), I32(0), I32(1)}).kind, TrapKind::MemoryOutOfBounds);
  EXPECT_TRUE(m.call("init", {I32(0), I32(0), I32(0)}).ok());
}

TEST(InterpExec, CallDepthLimitCountsWasmFrames) {
  engine::EngineConfig cfg;
  cfg.limits.max_call_depth = 100;
  InterpModule m(R"((module
    (func $down (export "down") (param i32) (result i32)
      (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
        (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))))",
                 cfg);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.bits("down", {I32(99)}), 99u);  // 100 frames
  engine::Trap t = m.trap("down", {I32(100)});  // 101 frames
  EXPECT_EQ(t.kind, TrapKind::CallStackExhausted);
  EXPECT_EQ(t.message, "call stack exhausted");
  EXPECT_EQ(t.backtrace.size(), 100u);
}

TEST(InterpExec, FirstCallsRaceSafelyAcrossThreads) {
  // Functions compile on first call; one module shared by stores on several threads.
  engine::Engine engine;
  std::string text = "(module";
  for (int i = 0; i < 50; ++i)
    text += " (func $f" + std::to_string(i) + " (param i32) (result i32) (i32.add (local.get 0) (i32.const " +
            std::to_string(i) + ")))";
  text += " (func (export \"sum\") (param i32) (result i32)";
  for (int i = 0; i < 50; ++i) text += " (call $f" + std::to_string(i) + " (local.get 0))";
  for (int i = 1; i < 50; ++i) text += " (i32.add)";
  text += "))";
  auto module = load(engine, text);
  ASSERT_NE(module, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      engine::Store store(engine);
      engine::Linker linker;
      auto inst = linker.instantiate(store, module);
      if (!inst) return;
      auto r = store.call(*(*inst)->get_func("sum"), std::vector<Value>{Value::i32(1)});
      if (r && (*r)[0].as_u32() == 50 + 49 * 50 / 2) good++;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 4);
}

}  // namespace
}  // namespace wasipool::test
