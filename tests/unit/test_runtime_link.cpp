// Linking: import resolution by (module, name), extern type matching, definition order, host
// functions and store-bound definitions.
#include <gtest/gtest.h>

#include "test_runtime_helpers.h"

namespace wasipool::test {
namespace {

using engine::ErrorKind;
using engine::Value;
using ir::ValType;

struct LinkTest : ::testing::Test {
  engine::Engine engine;
  engine::Store store{engine};
  engine::Linker linker;

  engine::Error instantiate_error(const std::string& text) {
    auto m = load(engine, text);
    if (!m) return {};
    auto r = linker.instantiate(store, m);
    EXPECT_FALSE(r.ok());
    return r.ok() ? engine::Error{} : r.error();
  }
};

TEST_F(LinkTest, UnknownImportNamesModuleAndField) {
  auto err = instantiate_error(R"((module (import "env" "missing" (func))))");
  EXPECT_EQ(err.kind, ErrorKind::Unlinkable);
  EXPECT_EQ(err.message, "unknown import: \"env\" \"missing\"");
}

TEST_F(LinkTest, FunctionTypeMustBeEqual) {
  linker.define_function("env", "f", sig({ValType::I32}, {}), [](auto&, auto, auto) { return engine::HostResult{}; });
  auto err = instantiate_error(R"((module (import "env" "f" (func (param i64)))))");
  EXPECT_EQ(err.kind, ErrorKind::Unlinkable);
  EXPECT_NE(err.message.find("incompatible import type"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("(i64)"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("(i32)"), std::string::npos) << err.message;
}

TEST_F(LinkTest, ExternKindMustMatch) {
  auto g = store.create_global({ValType::I32, false}, Value::i32(1));
  ASSERT_TRUE(g.ok());
  linker.define("env", "x", *g);
  auto err = instantiate_error(R"((module (import "env" "x" (func))))");
  EXPECT_EQ(err.kind, ErrorKind::Unlinkable);
  EXPECT_NE(err.message.find("incompatible import type"), std::string::npos) << err.message;
}

TEST_F(LinkTest, MemoryLimitsFollowSubtyping) {
  auto mem = store.create_memory({{1, 2}});
  ASSERT_TRUE(mem.ok());
  linker.define("env", "mem", *mem);
  // Provided {1, 2} fits: min 1 >= 1, max 2 <= 3.
  auto ok = load(engine, R"((module (import "env" "mem" (memory 1 3))))");
  EXPECT_TRUE(linker.instantiate(store, ok).ok());
  // No declared max is required: any max matches.
  EXPECT_TRUE(linker.instantiate(store, load(engine, R"((module (import "env" "mem" (memory 0))))")).ok());
  // min 2 > 1 provided.
  EXPECT_EQ(instantiate_error(R"((module (import "env" "mem" (memory 2 3))))").kind, ErrorKind::Unlinkable);
  // max 1 < 2 provided.
  EXPECT_EQ(instantiate_error(R"((module (import "env" "mem" (memory 1 1))))").kind, ErrorKind::Unlinkable);
}

TEST_F(LinkTest, MemoryWithoutMaxDoesNotMatchBoundedImport) {
  auto mem = store.create_memory({{1, std::nullopt}});
  ASSERT_TRUE(mem.ok());
  linker.define("env", "mem", *mem);
  EXPECT_EQ(instantiate_error(R"((module (import "env" "mem" (memory 1 10))))").kind, ErrorKind::Unlinkable);
}

TEST_F(LinkTest, GrownMemoryMatchesLargerMinimum) {
  auto mem = store.create_memory({{1, 4}});
  ASSERT_TRUE(mem.ok());
  linker.define("env", "mem", *mem);
  const char* wants2 = R"((module (import "env" "mem" (memory 2))))";
  EXPECT_EQ(instantiate_error(wants2).kind, ErrorKind::Unlinkable);
  ASSERT_EQ(mem->inst->grow(1), 1);
  EXPECT_TRUE(linker.instantiate(store, load(engine, wants2)).ok());
}

TEST_F(LinkTest, GlobalMutabilityAndTypeMustBeEqual) {
  auto imm = store.create_global({ValType::I32, false}, Value::i32(7));
  auto mut = store.create_global({ValType::I32, true}, Value::i32(7));
  ASSERT_TRUE(imm.ok() && mut.ok());
  linker.define("env", "imm", *imm);
  linker.define("env", "mut", *mut);
  EXPECT_EQ(instantiate_error(R"((module (import "env" "imm" (global (mut i32)))))").kind, ErrorKind::Unlinkable);
  EXPECT_EQ(instantiate_error(R"((module (import "env" "mut" (global i32))))").kind, ErrorKind::Unlinkable);
  EXPECT_EQ(instantiate_error(R"((module (import "env" "imm" (global i64))))").kind, ErrorKind::Unlinkable);
  EXPECT_TRUE(linker.instantiate(store, load(engine, R"((module (import "env" "mut" (global (mut i32)))))")).ok());
}

TEST_F(LinkTest, TableElementTypeMustBeEqual) {
  auto t = store.create_table({ValType::ExternRef, {2, std::nullopt}}, Value::null(ValType::ExternRef));
  ASSERT_TRUE(t.ok());
  linker.define("env", "t", *t);
  EXPECT_EQ(instantiate_error(R"((module (import "env" "t" (table 1 funcref))))").kind, ErrorKind::Unlinkable);
  EXPECT_TRUE(linker.instantiate(store, load(engine, R"((module (import "env" "t" (table 1 externref))))")).ok());
}

TEST_F(LinkTest, LaterDefinitionsWin) {
  auto ret = [](int32_t v) {
    return [v](engine::Caller&, std::span<const uint64_t>, std::span<uint64_t> out) {
      out[0] = static_cast<uint32_t>(v);
      return engine::HostResult{};
    };
  };
  linker.define_function("env", "f", sig({}, {ValType::I32}), ret(1));
  linker.define_function("env", "f", sig({}, {ValType::I32}), ret(2));
  auto m = load(engine, R"((module (import "env" "f" (func $f (result i32)))
                               (func (export "g") (result i32) (call $f))))");
  auto inst = linker.instantiate(store, m);
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto r = store.call(*(*inst)->get_func("g"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].as_i32(), 2);
}

TEST_F(LinkTest, HostFunctionSeesArgumentsAndCallerMemory) {
  std::vector<uint64_t> seen;
  linker.define_function("env", "poke", sig({ValType::I32, ValType::I64}, {ValType::I32}),
                         [&seen](engine::Caller& c, std::span<const uint64_t> args, std::span<uint64_t> out) {
                           seen.assign(args.begin(), args.end());
                           auto mem = c.memory();
                           if (!mem.valid() || !mem.store<uint32_t>(args[0], 0xdeadbeef)) {
                             return engine::HostResult{engine::Trap::host("bad pointer")};
                           }
                           out[0] = 99;
                           return engine::HostResult{};
                         });
  auto m = load(engine, R"((module (import "env" "poke" (func $p (param i32 i64) (result i32)))
                               (memory (export "memory") 1)
                               (func (export "run") (param i32) (result i32 i32)
                                 (call $p (local.get 0) (i64.const -5))
                                 (i32.load (local.get 0)))))");
  auto inst = linker.instantiate(store, m);
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto run = *(*inst)->get_func("run");
  auto r = store.call(run, std::vector<Value>{Value::i32(16)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].as_i32(), 99);
  EXPECT_EQ((*r)[1].as_u32(), 0xdeadbeefu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], 16u);
  EXPECT_EQ(seen[1], static_cast<uint64_t>(-5));
  // A pointer past the end makes the host function trap; the trap comes back to the caller as is.
  auto bad = store.call(run, std::vector<Value>{Value::i32(65535)});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, engine::TrapKind::Host);
  EXPECT_EQ(bad.error().message, "bad pointer");
}

TEST_F(LinkTest, ExitTrapUnwindsTheGuest) {
  linker.define_function("wasi", "exit", sig({ValType::I32}, {}),
                         [](engine::Caller&, std::span<const uint64_t> args, std::span<uint64_t>) {
                           return engine::HostResult{engine::Trap::exit(static_cast<int32_t>(args[0]))};
                         });
  auto m = load(engine, R"((module (import "wasi" "exit" (func $exit (param i32)))
                               (global $after (export "after") (mut i32) (i32.const 0))
                               (func (export "_start") (call $exit (i32.const 3)) (global.set $after (i32.const 1)))))");
  auto inst = linker.instantiate(store, m);
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto r = store.call(*(*inst)->get_func("_start"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, engine::TrapKind::Exit);
  EXPECT_EQ(r.error().exit_code, 3);
  EXPECT_EQ(store.global_get(*(*inst)->get_global("after")).as_i32(), 0);
}

TEST_F(LinkTest, DefineInstanceSharesMemoryBetweenInstances) {
  auto a = linker.instantiate(store, load(engine, R"((module
      (memory (export "mem") 1)
      (func (export "get") (param i32) (result i32) (i32.load8_u (local.get 0)))))"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  linker.define_instance("a", **a);
  auto b = linker.instantiate(store, load(engine, R"((module
      (import "a" "mem" (memory 1))
      (import "a" "get" (func $get (param i32) (result i32)))
      (data (i32.const 10) "\2a")
      (func (export "via_a") (result i32) (call $get (i32.const 10)))))"));
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto r = store.call(*(*b)->get_func("via_a"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].as_i32(), 42);
  // The same function object is reachable through both instances.
  auto c = linker.instantiate(store, load(engine, R"((module
      (import "a" "get" (func (param i32) (result i32))) (export "f" (func 0))))"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*a)->get_func("get")->inst, (*c)->get_func("f")->inst);
}

TEST_F(LinkTest, CanonicalTypesMakeCrossModuleIndirectCallsWork) {
  // Two modules declare structurally equal types at different indices; call_indirect through a shared
  // table must see them as the same type.
  auto a = linker.instantiate(store, load(engine, R"((module
      (type (func (param i32) (result i32)))
      (table (export "t") 2 funcref)
      (func $double (type 0) (i32.mul (local.get 0) (i32.const 2)))
      (elem (i32.const 0) $double)))"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  linker.define_instance("a", **a);
  auto b = linker.instantiate(store, load(engine, R"((module
      (type (func))
      (type (func (param f32)))
      (type (func (param i32) (result i32)))
      (import "a" "t" (table 2 funcref))
      (func (export "call") (param i32) (result i32)
        (call_indirect (type 2) (local.get 0) (i32.const 0)))
      (func (export "wrong") (call_indirect (type 0) (i32.const 0)))))"));
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto r = store.call(*(*b)->get_func("call"), std::vector<Value>{Value::i32(21)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].as_i32(), 42);
  auto w = store.call(*(*b)->get_func("wrong"), {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().kind, engine::TrapKind::IndirectCallTypeMismatch);
}

TEST_F(LinkTest, StoreFunctionAsImportKeepsItsType) {
  bool saw_instance = false;
  auto f = store.create_host_function(sig({ValType::F64}, {ValType::F64}),
                                      [&](engine::Caller& c, std::span<const uint64_t> a, std::span<uint64_t> out) {
                                        saw_instance = c.instance() != nullptr;
                                        out[0] = Value::f64(Value::f64_bits(a[0]).as_f64() + 0.5).bits;
                                        return engine::HostResult{};
                                      });
  EXPECT_EQ(store.func_type(f), sig({ValType::F64}, {ValType::F64}));
  linker.define("env", "f", f);
  EXPECT_EQ(instantiate_error(R"((module (import "env" "f" (func (param f32) (result f64)))))").kind,
            ErrorKind::Unlinkable);
  auto inst = linker.instantiate(store, load(engine, R"((module (import "env" "f" (func $f (param f64) (result f64)))
      (func (export "g") (result f64) (call $f (f64.const 1)))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto r = store.call(*(*inst)->get_func("g"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].as_f64(), 1.5);
  // Called directly from the host, the function sees no caller instance.
  auto direct = store.call(f, std::vector<Value>{Value::f64(2.0)});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ((*direct)[0].as_f64(), 2.5);
  EXPECT_FALSE(saw_instance);
}

TEST_F(LinkTest, MutableGlobalIsSharedNotCopied) {
  auto g = store.create_global({ValType::I64, true}, Value::i64(1));
  ASSERT_TRUE(g.ok());
  linker.define("env", "counter", *g);
  const char* text = R"((module
      (import "env" "counter" (global $c (mut i64)))
      (func (export "bump") (global.set $c (i64.add (global.get $c) (i64.const 10))))))";
  auto a = linker.instantiate(store, load(engine, text));
  auto b = linker.instantiate(store, load(engine, text));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(store.call(*(*a)->get_func("bump"), {}).ok());
  ASSERT_TRUE(store.call(*(*b)->get_func("bump"), {}).ok());
  EXPECT_EQ(store.global_get(*g).as_i64(), 21);
  EXPECT_EQ(store.global_type(*g), (ir::GlobalType{ValType::I64, true}));
}

TEST_F(LinkTest, ExternrefsPassThroughUnchanged) {
  auto inst = linker.instantiate(store, load(engine, R"((module
      (table $t (export "t") 2 externref)
      (func (export "keep") (param externref) (result externref i32)
        (table.set $t (i32.const 1) (local.get 0))
        (table.get $t (i32.const 1))
        (ref.is_null (local.get 0)))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto keep = *(*inst)->get_func("keep");
  auto r = store.call(keep, std::vector<Value>{Value::externref(0xfeedface12345678ull)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].type, ValType::ExternRef);
  EXPECT_EQ((*r)[0].bits, 0xfeedface12345678ull);
  EXPECT_EQ((*r)[1].as_i32(), 0);
  auto n = store.call(keep, std::vector<Value>{Value::null(ValType::ExternRef)});
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE((*n)[0].is_null());
  EXPECT_EQ((*n)[1].as_i32(), 1);
  EXPECT_EQ((*inst)->get_table("t")->inst->elems[1], 0u);
  EXPECT_FALSE((*inst)->get_func("t").has_value());  // wrong kind
  EXPECT_FALSE((*inst)->get_export("nope").has_value());
}

TEST_F(LinkTest, RedefiningAnInstanceReplacesItsExports) {
  auto one = linker.instantiate(store, load(engine, R"((module (func (export "v") (result i32) (i32.const 1))))"));
  auto two = linker.instantiate(store, load(engine, R"((module (func (export "v") (result i32) (i32.const 2))))"));
  ASSERT_TRUE(one.ok() && two.ok());
  linker.define_instance("m", **one);
  linker.define_instance("m", **two);
  auto user = linker.instantiate(store, load(engine, R"((module (import "m" "v" (func $v (result i32)))
      (func (export "get") (result i32) (call $v))))"));
  ASSERT_TRUE(user.ok()) << user.error().message;
  auto r = store.call(*(*user)->get_func("get"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].as_i32(), 2);
}

}  // namespace
}  // namespace wasipool::test
