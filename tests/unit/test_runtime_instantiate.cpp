// Instantiation: order of effects (2.0 semantics), segment bounds, partial effects that remain,
// the start function, constant expressions and store limits.
#include <gtest/gtest.h>

#include "test_runtime_helpers.h"

namespace wasipool::test {
namespace {

using engine::ErrorKind;
using engine::Value;
using ir::ValType;

struct InstantiateTest : ::testing::Test {
  engine::Engine engine;
  engine::Store store{engine};
  engine::Linker linker;
  engine::Memory mem;
  engine::Table table;

  void SetUp() override {
    auto m = store.create_memory({{1, std::nullopt}});
    auto t = store.create_table({ValType::FuncRef, {4, std::nullopt}}, Value::null(ValType::FuncRef));
    ASSERT_TRUE(m.ok() && t.ok());
    mem = *m;
    table = *t;
    linker.define("host", "mem", mem);
    linker.define("host", "table", table);
  }
  uint8_t byte_at(uint64_t addr) { return *store.memory_view(mem).load<uint8_t>(addr); }
};

TEST_F(InstantiateTest, SegmentsThenStartInOrder) {
  auto inst = linker.instantiate(store, load(engine, R"((module
      (import "host" "mem" (memory 1))
      (import "host" "table" (table 4 funcref))
      (global $seen (export "seen") (mut i32) (i32.const 0))
      (func $f (result i32) (i32.const 5))
      (elem (i32.const 1) $f)
      (data (i32.const 100) "\01\02")
      (data (i32.const 101) "\03")   ;; later segments overwrite earlier ones
      (func $start (global.set $seen (i32.load8_u (i32.const 101))))
      (start $start)))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  EXPECT_EQ(byte_at(100), 1);
  EXPECT_EQ(byte_at(101), 3);
  EXPECT_EQ(store.global_get(*(*inst)->get_global("seen")).as_i32(), 3);  // start ran after the data
  EXPECT_EQ(table.inst->elems[0], 0u);
  EXPECT_NE(table.inst->elems[1], 0u);
}

TEST_F(InstantiateTest, OutOfBoundsElementKeepsEarlierEffects) {
  auto r = linker.instantiate(store, load(engine, R"((module
      (import "host" "mem" (memory 1))
      (import "host" "table" (table 4 funcref))
      (func $f)
      (elem (i32.const 0) $f)
      (elem (i32.const 3) $f $f)        ;; 3 + 2 > 4: fails
      (data (i32.const 0) "\ff")))"));  // never runs: elements come first
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Uninstantiable);
  EXPECT_EQ(r.error().message, "out of bounds table access");
  EXPECT_NE(table.inst->elems[0], 0u);  // the first segment's effect remains (2.0 semantics)
  EXPECT_EQ(table.inst->elems[3], 0u);  // nothing partial from the failing one
  EXPECT_EQ(byte_at(0), 0);
}

TEST_F(InstantiateTest, OutOfBoundsDataKeepsEarlierEffects) {
  auto r = linker.instantiate(store, load(engine, R"((module
      (import "host" "mem" (memory 1))
      (global $g (mut i32) (i32.const 0))
      (data (i32.const 7) "\07")
      (data (i32.const 65535) "\01\02")   ;; one byte past the end
      (func $start (unreachable))
      (start $start)))"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Uninstantiable);
  EXPECT_EQ(r.error().message, "out of bounds memory access");
  EXPECT_EQ(byte_at(7), 7);
  EXPECT_EQ(byte_at(65535), 0);
}

TEST_F(InstantiateTest, SegmentOffsetNearTwoToThe32DoesNotWrap) {
  auto r = linker.instantiate(store, load(engine, R"((module
      (import "host" "mem" (memory 1))
      (data (i32.const -1) "\01\02")))"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "out of bounds memory access");
  EXPECT_EQ(byte_at(0), 0);
  auto t = linker.instantiate(store, load(engine, R"((module
      (import "host" "table" (table 4 funcref))
      (func $f)
      (elem (i32.const -1) $f $f)))"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "out of bounds table access");
}

TEST_F(InstantiateTest, EmptySegmentAtTheEndIsInBoundsButPastTheEndIsNot) {
  EXPECT_TRUE(linker.instantiate(store, load(engine, R"((module
      (import "host" "mem" (memory 1)) (data (i32.const 65536) "")))")).ok());
  auto r = linker.instantiate(store, load(engine, R"((module
      (import "host" "mem" (memory 1)) (data (i32.const 65537) "")))"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "out of bounds memory access");
}

TEST_F(InstantiateTest, StartTrapIsUninstantiableWithTheTrapMessage) {
  auto r = linker.instantiate(store, load(engine, R"((module
      (import "host" "mem" (memory 1))
      (data (i32.const 20) "\2a")
      (func $start (drop (i32.div_u (i32.const 1) (i32.const 0))))
      (start $start)))"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Uninstantiable);
  EXPECT_NE(r.error().message.find("integer divide by zero"), std::string::npos) << r.error().message;
  EXPECT_EQ(byte_at(20), 42);  // the data segment had already been written
}

TEST_F(InstantiateTest, GlobalsInitialisedFromImportsAndFunctionReferences) {
  auto base = store.create_global({ValType::I32, false}, Value::i32(1000));
  ASSERT_TRUE(base.ok());
  linker.define("host", "base", *base);
  auto inst = linker.instantiate(store, load(engine, R"((module
      (import "host" "base" (global $base i32))
      (import "host" "table" (table 4 funcref))
      (global (export "copy") i32 (global.get $base))
      (global (export "big") i64 (i64.const -2))
      (global (export "f") f32 (f32.const -0.5))
      (global $fr (export "fr") funcref (ref.func $seven))
      (global (export "nul") externref (ref.null extern))
      (func $seven (export "seven") (result i32) (i32.const 7))
      (elem (offset (global.get $base)) func)   ;; empty active segment at 1000 > 4: out of bounds
  ))"));
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().message, "out of bounds table access");

  auto good = linker.instantiate(store, load(engine, R"((module
      (import "host" "base" (global $base i32))
      (global (export "copy") i32 (global.get $base))
      (global (export "big") i64 (i64.const -2))
      (global (export "f") f32 (f32.const -0.5))
      (global (export "fr") funcref (ref.func $seven))
      (global (export "nul") externref (ref.null extern))
      (func $seven (export "seven") (result i32) (i32.const 7))))"));
  ASSERT_TRUE(good.ok()) << good.error().message;
  engine::Instance& i = **good;
  EXPECT_EQ(store.global_get(*i.get_global("copy")).as_i32(), 1000);
  EXPECT_EQ(store.global_get(*i.get_global("big")).as_i64(), -2);
  EXPECT_EQ(store.global_get(*i.get_global("f")).as_f32(), -0.5f);
  Value fr = store.global_get(*i.get_global("fr"));
  EXPECT_EQ(fr.type, ValType::FuncRef);
  EXPECT_EQ(fr.bits, reinterpret_cast<uint64_t>(i.get_func("seven")->inst));
  EXPECT_TRUE(store.global_get(*i.get_global("nul")).is_null());
  EXPECT_EQ(store.global_type(*i.get_global("copy")), (ir::GlobalType{ValType::I32, false}));
}

TEST_F(InstantiateTest, PassiveAndDeclarativeSegmentsAreKeptForLater) {
  auto inst = linker.instantiate(store, load(engine, R"((module
      (memory (export "m") 1)
      (table (export "t") 2 funcref)
      (func $f (result i32) (i32.const 9))
      (elem $p func $f)
      (elem declare func $f)
      (data $d "hello")
      (func (export "init") (memory.init $d (i32.const 4) (i32.const 1) (i32.const 3)))
      (func (export "drop") (data.drop $d))
      (func (export "tinit") (table.init $p (i32.const 1) (i32.const 0) (i32.const 1)))
      (func (export "call1") (result i32) (call_indirect (result i32) (i32.const 1)))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  engine::Instance& i = **inst;
  auto view = store.memory_view(*i.get_memory("m"));
  EXPECT_EQ(*view.load<uint8_t>(4), 0);
  ASSERT_TRUE(store.call(*i.get_func("init"), {}).ok());
  char buf[3];
  ASSERT_TRUE(view.read(4, buf, 3));
  EXPECT_EQ(std::string(buf, 3), "ell");
  ASSERT_TRUE(store.call(*i.get_func("drop"), {}).ok());
  auto after_drop = store.call(*i.get_func("init"), {});
  ASSERT_FALSE(after_drop.ok());
  EXPECT_EQ(after_drop.error().kind, engine::TrapKind::MemoryOutOfBounds);
  ASSERT_TRUE(store.call(*i.get_func("tinit"), {}).ok());
  auto r = store.call(*i.get_func("call1"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].as_i32(), 9);
}

TEST_F(InstantiateTest, ActiveSegmentsAreDroppedAfterInstantiation) {
  auto inst = linker.instantiate(store, load(engine, R"((module
      (memory 1)
      (data $d (i32.const 0) "abc")
      (func (export "reinit") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto r = store.call(*(*inst)->get_func("reinit"), {});
  ASSERT_FALSE(r.ok());  // a dropped segment has length 0
  EXPECT_EQ(r.error().kind, engine::TrapKind::MemoryOutOfBounds);
}

TEST(InstantiateLimits, DeclaredMinimumAboveTheLimitIsALimitError) {
  engine::EngineConfig cfg;
  cfg.limits.max_memory_pages = 16;
  cfg.limits.max_table_elements = 100;
  engine::Engine engine(cfg);
  engine::Store store(engine);
  engine::Linker linker;
  auto mem = linker.instantiate(store, load(engine, "(module (memory 17))"));
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.error().kind, ErrorKind::Limit);
  auto tab = linker.instantiate(store, load(engine, "(module (table 101 funcref))"));
  ASSERT_FALSE(tab.ok());
  EXPECT_EQ(tab.error().kind, ErrorKind::Limit);
  EXPECT_TRUE(linker.instantiate(store, load(engine, "(module (memory 16) (table 100 funcref))")).ok());
  EXPECT_FALSE(store.create_memory({{17, std::nullopt}}).ok());
}

TEST(InstantiateLimits, InstancesPerStoreAreBounded) {
  engine::EngineConfig cfg;
  cfg.limits.max_instances = 3;
  engine::Engine engine(cfg);
  engine::Store store(engine);
  engine::Linker linker;
  auto m = load(engine, "(module)");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(linker.instantiate(store, m).ok());
  auto r = linker.instantiate(store, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Limit);
  engine::Store other(engine);  // the limit is per store
  EXPECT_TRUE(linker.instantiate(other, m).ok());
}

TEST(InstantiateModule, ModuleOutlivesItsLoaderAndIsSharedAcrossStores) {
  engine::Engine engine;
  engine::Linker linker;
  std::weak_ptr<const engine::Module> weak;
  {
    engine::Store store(engine);
    {
      auto m = load(engine, R"((module (func (export "f") (result i32) (i32.const 3))))");
      weak = m;
      auto a = linker.instantiate(store, m);
      ASSERT_TRUE(a.ok());
    }
    EXPECT_FALSE(weak.expired());  // the store keeps the module alive for its instances
  }
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace wasipool::test
