// Linear memory: reservation and growth, limits, a base that never moves, and the host's bounds-
// checked MemoryView (guest pointers must never wrap around).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "../../src/engine/runtime/objects.h"
#include "test_runtime_helpers.h"

namespace wasipool::test {
namespace {

using engine::Value;
using ir::ValType;

constexpr const char* kGrowModule = R"((module
  (memory (export "memory") 1 %s)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))))";

std::string grow_module(const char* max) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, kGrowModule, max);
  return buf;
}

struct MemoryTest : ::testing::Test {
  int32_t call_i32(engine::Store& store, engine::Instance& inst, const char* name, std::vector<Value> args) {
    auto r = store.call(*inst.get_func(name), args);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() && !r->empty() ? (*r)[0].as_i32() : INT32_MIN;
  }
};

TEST_F(MemoryTest, GrowIsBoundedByTheDeclaredMaximum) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, grow_module("3")));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  engine::Instance& i = **inst;
  auto mem = *i.get_memory("memory");
  uint8_t* base = mem.inst->base;
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(1)}), 1);
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(2)}), -1);  // 4 > max 3: unchanged
  EXPECT_EQ(call_i32(store, i, "size", {}), 2);
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(1)}), 2);
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(0)}), 3);
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(-1)}), -1);  // a huge delta must not wrap
  EXPECT_EQ(mem.inst->base, base);  // growth never moves the memory
  EXPECT_EQ(store.memory_view(mem).size(), 3 * ir::kPageSize);
  EXPECT_EQ(store.memory_type(mem).limits.min, 3u);
}

TEST_F(MemoryTest, GrownMemoryIsZeroedAndAccessible) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, grow_module("")));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  engine::Instance& i = **inst;
  uint32_t addr = 70000;  // in page 2
  auto oob = store.call(*i.get_func("load"), std::vector<Value>{Value::i32(addr)});
  ASSERT_FALSE(oob.ok());
  EXPECT_EQ(oob.error().kind, engine::TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(oob.error().message, "out of bounds memory access");
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(1)}), 1);
  EXPECT_EQ(call_i32(store, i, "load", {Value::i32(addr)}), 0);
  auto st = store.call(*i.get_func("store"), std::vector<Value>{Value::i32(addr), Value::i32(0x01020304)});
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*store.memory_view(*i.get_memory("memory")).load<uint32_t>(addr), 0x01020304u);
}

TEST_F(MemoryTest, StoreLimitCapsGrowthOfUnboundedMemories) {
  engine::EngineConfig cfg;
  cfg.limits.max_memory_pages = 4;
  engine::Engine engine(cfg);
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, grow_module("")));  // no declared max
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  engine::Instance& i = **inst;
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(3)}), 1);
  EXPECT_EQ(call_i32(store, i, "grow", {Value::i32(1)}), -1);
  EXPECT_EQ(call_i32(store, i, "size", {}), 4);
  // The declared maximum stays what the module said; the cap is the store's business.
  EXPECT_FALSE(store.memory_type(*i.get_memory("memory")).limits.max.has_value());
  // The reservation itself is bounded by the limit, not by 4 GiB.
  EXPECT_LE(i.get_memory("memory")->inst->reserved, 4 * ir::kPageSize);
}

TEST_F(MemoryTest, ZeroPageMemoryHasAValidBase) {
  engine::Engine engine;
  engine::Store store(engine);
  auto m = store.create_memory({{0, 0}});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_NE(m->inst->base, nullptr);
  auto view = store.memory_view(*m);
  EXPECT_EQ(view.size(), 0u);
  EXPECT_EQ(m->inst->grow(1), -1);
  EXPECT_EQ(m->inst->grow(0), 0);
  ASSERT_TRUE(view.bytes(0, 0).has_value());  // an empty range at the end is fine
  EXPECT_FALSE(view.bytes(0, 1).has_value());
  EXPECT_FALSE(view.bytes(1, 0).has_value());
}

TEST_F(MemoryTest, MemoryViewNeverWraps) {
  engine::Engine engine;
  engine::Store store(engine);
  auto m = store.create_memory({{1, std::nullopt}});
  ASSERT_TRUE(m.ok());
  auto view = store.memory_view(*m);
  const uint64_t size = ir::kPageSize;
  uint8_t buf[16] = {1, 2, 3, 4};
  EXPECT_TRUE(view.write(size - 4, buf, 4));
  EXPECT_FALSE(view.write(size - 3, buf, 4));
  EXPECT_TRUE(view.bytes(size, 0).has_value());
  EXPECT_FALSE(view.bytes(size + 1, 0).has_value());
  // A 32-bit guest pointer near 2^32 plus a length that would wrap a 32-bit sum.
  EXPECT_FALSE(view.bytes(0xFFFFFFF0u, 0x20).has_value());
  EXPECT_FALSE(view.read(0xFFFFFFFFu, buf, 1));
  // A length that wraps a 64-bit sum back to a small address.
  EXPECT_FALSE(view.bytes(16, UINT64_MAX - 8).has_value());
  EXPECT_FALSE(view.bytes(UINT64_MAX, 2).has_value());
  EXPECT_FALSE(view.load<uint32_t>(size - 2).has_value());
  EXPECT_FALSE(view.store<uint64_t>(UINT64_MAX - 3, 0));
  auto whole = view.bytes(0, size);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->size(), size);
  EXPECT_EQ((*whole)[size - 4], 1);
  EXPECT_FALSE(engine::MemoryView().valid());
  EXPECT_FALSE(engine::MemoryView().bytes(0, 0).has_value());
}

TEST_F(MemoryTest, HostFunctionWithGuestPointerNearTwoToThe32) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  linker.define_function("env", "fill", sig({ValType::I32, ValType::I32}, {ValType::I32}),
                         [](engine::Caller& c, std::span<const uint64_t> a, std::span<uint64_t> out) {
                           auto span = c.memory().bytes(static_cast<uint32_t>(a[0]), static_cast<uint32_t>(a[1]));
                           if (!span) {
                             out[0] = 1;
                             return engine::HostResult{};
                           }
                           for (auto& b : *span) b = 0xAB;
                           out[0] = 0;
                           return engine::HostResult{};
                         });
  auto inst = linker.instantiate(store, load(engine, R"((module
      (import "env" "fill" (func $fill (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "fill") (param i32 i32) (result i32) (call $fill (local.get 0) (local.get 1)))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  engine::Instance& i = **inst;
  EXPECT_EQ(call_i32(store, i, "fill", {Value::i32(0xFFFFFF00u), Value::i32(0x200)}), 1);
  EXPECT_EQ(call_i32(store, i, "fill", {Value::i32(0x10), Value::i32(0xFFFFFFF8u)}), 1);
  EXPECT_EQ(call_i32(store, i, "fill", {Value::i32(0xFFF0), Value::i32(0x10)}), 0);
  auto view = store.memory_view(*i.get_memory("memory"));
  EXPECT_EQ(*view.load<uint8_t>(0xFFFF), 0xAB);
  EXPECT_EQ(*view.load<uint8_t>(0), 0);
}

TEST_F(MemoryTest, RecycledMemoryIsZeroedForTheNextStore) {
  // Reservations go back to an engine-wide pool when a store dies; the next store must never see the
  // previous store's data, neither in the part kept resident nor beyond it.
  engine::EngineConfig cfg;
  cfg.limits.max_memory_pages = 64;  // every unbounded memory reserves the same 4 MiB
  engine::Engine engine(cfg);
  const uint64_t marks[] = {0, 4095, 100000, (1u << 20) - 1, (1u << 20) + 5, 40 * ir::kPageSize - 1};
  uint8_t* first_base = nullptr;
  {
    engine::Store a(engine);
    auto m = a.create_memory({{40, std::nullopt}});
    ASSERT_TRUE(m.ok());
    first_base = m->inst->base;
    for (uint64_t at : marks) ASSERT_TRUE(a.memory_view(*m).store<uint8_t>(at, 0x5A));
  }
  std::optional<engine::Store> b;
  b.emplace(engine);
  auto m = b->create_memory({{10, std::nullopt}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->inst->base, first_base);  // the reservation was reused
  auto view = b->memory_view(*m);
  EXPECT_EQ(view.size(), 10 * ir::kPageSize);
  EXPECT_EQ(m->inst->grow(30), 10);
  auto all = view.bytes(0, view.size());
  ASSERT_TRUE(all.has_value());
  size_t nonzero = 0;
  for (uint8_t byte : *all) nonzero += byte != 0;
  EXPECT_EQ(nonzero, 0u);
  // Instantiated memories take the same path.
  engine::Linker linker;
  for (uint64_t at : marks) ASSERT_TRUE(view.store<uint8_t>(at, 0x5A));
  b.emplace(engine);  // destroys the previous store first
  auto inst = linker.instantiate(*b, load(engine, R"((module (memory (export "memory") 40)))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto again = b->memory_view(*(*inst)->get_memory("memory"));
  EXPECT_EQ((*inst)->get_memory("memory")->inst->base, first_base);
  for (uint64_t at : marks) EXPECT_EQ(*again.load<uint8_t>(at), 0) << at;
}

TEST_F(MemoryTest, ConcurrentStoresNeverSeeEachOthersData) {
  // Many threads, one engine (one pool): each fresh instance checks that the bytes earlier instances
  // dirtied (inside and beyond the part kept resident, and in grown pages) read as zero, then dirties
  // them itself.
  engine::Engine engine;
  auto module = load(engine, R"((module
      (memory 2)
      (func (export "check_and_dirty") (result i32)
        (local $ok i32)
        (drop (memory.grow (i32.const 30)))
        (local.set $ok (i32.and (i32.and (i32.eqz (i32.load (i32.const 0)))
                                         (i32.eqz (i32.load (i32.const 70000))))
                                (i32.and (i32.eqz (i32.load (i32.const 1300000)))
                                         (i32.eqz (i32.load (i32.const 2000000))))))
        (i32.store (i32.const 0) (i32.const -1))
        (i32.store (i32.const 70000) (i32.const -1))
        (i32.store (i32.const 1300000) (i32.const -1))
        (i32.store (i32.const 2000000) (i32.const -1))
        (local.get $ok))))");
  ASSERT_NE(module, nullptr);
  std::atomic<int> clean{0}, runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      engine::Linker linker;
      for (int i = 0; i < 100; ++i) {
        engine::Store store(engine);
        auto inst = linker.instantiate(store, module);
        if (!inst) return;
        auto r = store.call(*(*inst)->get_func("check_and_dirty"), {});
        runs++;
        if (r && (*r)[0].as_i32() == 1) clean++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 400);
  EXPECT_EQ(clean.load(), 400);
}

TEST_F(MemoryTest, TableGrowRespectsMaximumAndLimit) {
  engine::EngineConfig cfg;
  cfg.limits.max_table_elements = 10;
  engine::Engine engine(cfg);
  engine::Store store(engine);
  auto t = store.create_table({ValType::ExternRef, {2, 5}}, Value::externref(7));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->inst->grow(3, 9), 2);
  EXPECT_EQ(t->inst->grow(1, 9), -1);
  EXPECT_EQ(t->inst->elems.size(), 5u);
  EXPECT_EQ(t->inst->elems[0], 7u);
  EXPECT_EQ(t->inst->elems[4], 9u);
  EXPECT_EQ(store.table_type(*t).limits.min, 5u);
  auto u = store.create_table({ValType::FuncRef, {0, std::nullopt}}, Value::null(ValType::FuncRef));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->inst->grow(10, 0), 0);
  EXPECT_EQ(u->inst->grow(1, 0), -1);
  EXPECT_EQ(u->inst->grow(UINT32_MAX, 0), -1);
  EXPECT_FALSE(store.create_table({ValType::FuncRef, {0, 1}}, Value::i32(0)).ok());  // init of the wrong type
}

}  // namespace
}  // namespace wasipool::test
