// Calls from the host: typed arguments, traps as values, call depth, interruption from another
// thread; plus loading (I/O errors, concurrent loads) and the API's names and texts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "test_runtime_helpers.h"

namespace wasipool::test {
namespace {

using engine::TrapKind;
using engine::Value;
using ir::ValType;

TEST(RuntimeCall, ArgumentsAreCheckedAgainstTheType) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, R"((module
      (func (export "add") (param i32 i64) (result i64)
        (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto add = *(*inst)->get_func("add");
  auto ok = store.call(add, std::vector<Value>{Value::i32(static_cast<uint32_t>(-3)), Value::i64(10)});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].type, ValType::I64);
  EXPECT_EQ((*ok)[0].as_i64(), 7);

  auto wrong_type = store.call(add, std::vector<Value>{Value::i64(1), Value::i64(10)});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.error().kind, TrapKind::Host);
  EXPECT_NE(wrong_type.error().message.find("argument type mismatch"), std::string::npos);

  auto wrong_count = store.call(add, std::vector<Value>{Value::i32(1)});
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_EQ(wrong_count.error().kind, TrapKind::Host);
}

TEST(RuntimeCall, ManyParamsAndResults) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  // 20 parameters, 3 results: more than any small inline buffer.
  std::string params, sum = "(local.get 0)";
  for (int i = 0; i < 20; ++i) params += " i32";
  for (int i = 1; i < 20; ++i) sum = "(i32.add " + sum + " (local.get " + std::to_string(i) + "))";
  auto inst = linker.instantiate(store, load(engine, "(module (func (export \"f\") (param" + params +
                                                         ") (result i32 f64 i32) " + sum +
                                                         " (f64.const 0.25) (local.get 19)))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  std::vector<Value> args;
  for (int i = 0; i < 20; ++i) args.push_back(Value::i32(i + 1));
  auto r = store.call(*(*inst)->get_func("f"), args);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].as_i32(), 210);
  EXPECT_EQ((*r)[1].as_f64(), 0.25);
  EXPECT_EQ((*r)[2].as_i32(), 20);
}

TEST(RuntimeCall, TrapsAreValuesWithSpecMessages) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, R"((module
      (func $inner (unreachable))
      (func (export "outer") (call $inner))
      (func (export "ok") (result i32) (i32.const 1))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto r = store.call(*(*inst)->get_func("outer"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Unreachable);
  EXPECT_EQ(r.error().message, "unreachable");
  ASSERT_GE(r.error().backtrace.size(), 2u);
  EXPECT_EQ(r.error().backtrace[0], 0u);  // innermost first
  EXPECT_EQ(r.error().backtrace[1], 1u);
  // The store is usable after a trap.
  auto ok = store.call(*(*inst)->get_func("ok"), {});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0].as_i32(), 1);
}

const char* kRecursive = R"((module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $forever (export "forever") (call $forever))))";

TEST(RuntimeCall, DeepRecursionTrapsWithCallStackExhausted) {
  engine::EngineConfig cfg;
  cfg.limits.max_call_depth = 500;
  engine::Engine engine(cfg);
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, kRecursive));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto down = *(*inst)->get_func("down");
  auto shallow = store.call(down, std::vector<Value>{Value::i32(400)});
  ASSERT_TRUE(shallow.ok()) << shallow.error().message;
  EXPECT_EQ((*shallow)[0].as_i32(), 400);
  auto deep = store.call(down, std::vector<Value>{Value::i32(600)});
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().kind, TrapKind::CallStackExhausted);
  EXPECT_EQ(deep.error().message, "call stack exhausted");
  // The depth counter does not leak: the shallow call still works afterwards.
  EXPECT_TRUE(store.call(down, std::vector<Value>{Value::i32(400)}).ok());
}

TEST(RuntimeCall, UnboundedRecursionWithDefaultLimitsNeverCrashes) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, kRecursive));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto r = store.call(*(*inst)->get_func("forever"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::CallStackExhausted);
}

TEST(RuntimeCall, AnotherThreadInterruptsARunningGuest) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  auto inst = linker.instantiate(store, load(engine, R"((module
      (func (export "spin") (loop $l (br $l)))
      (func (export "ok") (result i32) (i32.const 5))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  engine::InterruptHandle handle = store.interrupt_handle();
  std::thread stopper([handle] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    handle.interrupt();
  });
  auto r = store.call(*(*inst)->get_func("spin"), {});
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Interrupted);
  // Until cleared, the store refuses to run guest code; afterwards calls work again.
  auto refused = store.call(*(*inst)->get_func("ok"), {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, TrapKind::Interrupted);
  store.clear_interrupt();
  auto ok = store.call(*(*inst)->get_func("ok"), {});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0].as_i32(), 5);
}

TEST(RuntimeCall, InterruptStopsDeepCallChainsToo) {
  engine::Engine engine;
  engine::Store store(engine);
  engine::Linker linker;
  // Most of the time is spent in calls, not in the outer loop.
  auto inst = linker.instantiate(store, load(engine, R"((module
      (func $a (export "a") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (call $a (i32.sub (local.get 0) (i32.const 1))))))
      (func (export "spin") (loop $l (drop (call $a (i32.const 100))) (br $l)))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto handle = store.interrupt_handle();
  std::thread stopper([handle] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    handle.interrupt();
  });
  auto r = store.call(*(*inst)->get_func("spin"), {});
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Interrupted);
}

TEST(RuntimeCall, HostFunctionsMayCallBackIntoTheGuest) {
  engine::EngineConfig cfg;
  cfg.limits.max_call_depth = 200;
  engine::Engine engine(cfg);
  engine::Store store(engine);
  engine::Linker linker;
  // host "again"(n): calls the guest's "down"(n) through the store, so the chain alternates
  // guest -> host -> guest ... and the depth limit has to count across the host frames.
  linker.define_function("env", "again", sig({ValType::I32}, {ValType::I32}),
                         [](engine::Caller& c, std::span<const uint64_t> a, std::span<uint64_t> out) {
                           auto down = c.instance()->get_func("down");
                           auto r = c.store().call(*down, std::vector<Value>{Value::i32(static_cast<uint32_t>(a[0]))});
                           if (!r) return engine::HostResult{std::move(r).error()};
                           out[0] = (*r)[0].as_u32() + 1;
                           return engine::HostResult{};
                         });
  auto inst = linker.instantiate(store, load(engine, R"((module
      (import "env" "again" (func $again (param i32) (result i32)))
      (func (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (call $again (i32.sub (local.get 0) (i32.const 1))))))))"));
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto down = *(*inst)->get_func("down");
  auto r = store.call(down, std::vector<Value>{Value::i32(50)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].as_i32(), 50);
  auto deep = store.call(down, std::vector<Value>{Value::i32(1000)});
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().kind, TrapKind::CallStackExhausted);
  auto again = store.call(down, std::vector<Value>{Value::i32(50)});  // nothing leaked
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)[0].as_i32(), 50);
}

TEST(RuntimeCall, InterruptHandleOutlivesTheStore) {
  engine::Engine engine;
  std::optional<engine::InterruptHandle> handle;
  {
    engine::Store store(engine);
    handle = store.interrupt_handle();
  }
  handle->interrupt();  // harmless after the store is gone
  SUCCEED();
}

TEST(RuntimeCall, HostFunctionExceptionBecomesAHostTrap) {
  engine::Engine engine;
  engine::Store store(engine);
  auto f = store.create_host_function(sig({}, {}), [](auto&, auto, auto) -> engine::HostResult {
    throw std::runtime_error("boom");
  });
  auto r = store.call(f, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Host);
  EXPECT_NE(r.error().message.find("boom"), std::string::npos);
}

TEST(RuntimeLoad, FileErrorsNameThePath) {
  engine::Engine engine;
  auto r = engine.load_file("/nonexistent/dir/x.wasm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, engine::ErrorKind::Io);
  EXPECT_NE(r.error().message.find("/nonexistent/dir/x.wasm"), std::string::npos);
  EXPECT_NE(r.error().message.find("No such file"), std::string::npos);
  auto dir = engine.load_file("/tmp");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().kind, engine::ErrorKind::Io);
}

TEST(RuntimeLoad, LoadFileReadsTheModule) {
  engine::Engine engine;
  auto bytes = wat(R"((module (func (export "f") (result i32) (i32.const 11))))");
  std::string path = "/tmp/wasipool-rt-load-" + std::to_string(getpid()) + ".wasm";
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  auto m = engine.load_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ((*m)->ir().exports.size(), 1u);
  EXPECT_EQ((*m)->ir().exports[0].name, "f");
}

// load_shared decodes in place: the Module points into the lent bytes (no copy) and keeps their owner
// alive after the lender lets go; load() copies, so its caller may reuse the buffer at once.
TEST(RuntimeLoad, LoadSharedBorrowsAndKeepsTheOwner) {
  engine::Engine engine;
  std::weak_ptr<std::vector<uint8_t>> watch;
  {
    auto bytes = std::make_shared<std::vector<uint8_t>>(
        wat(R"((module (func (export "f") (result i32) (i32.const 11))))"));
    watch = bytes;
    const uint8_t* data = bytes->data();
    std::span<const uint8_t> view(*bytes);
    auto m = engine.load_shared(std::move(bytes), view);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ((*m)->ir().bytes.data(), data);
    EXPECT_FALSE(watch.expired()) << "the Module must keep the lent bytes alive";
    engine::Store store(engine);
    engine::Linker linker;
    auto inst = linker.instantiate(store, *m);
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    auto r = store.call(*(*inst)->get_func("f"), {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)[0].as_u32(), 11u);
  }
  EXPECT_TRUE(watch.expired()) << "module and store are gone: nothing may hold the bytes";

  std::vector<uint8_t> buffer = wat(R"((module (func (export "g"))))");
  auto copied = engine.load(buffer);
  ASSERT_TRUE(copied.ok());
  EXPECT_NE((*copied)->ir().bytes.data(), buffer.data());
  std::fill(buffer.begin(), buffer.end(), 0);
  EXPECT_EQ((*copied)->ir().exports.at(0).name, "g");
}

TEST(RuntimeLoad, BadBytesAreMalformedNotACrash) {
  engine::Engine engine;
  std::vector<uint8_t> junk = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
  auto r = engine.load(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, engine::ErrorKind::Malformed);
}

TEST(RuntimeLoad, ConcurrentLoadsAgreeOnCanonicalTypes) {
  engine::Engine engine;
  auto bytes = wat(R"((module
      (type (func (param i32) (result i32)))
      (type (func (param f64)))
      (func (export "f") (type 0) (local.get 0))))");
  std::vector<std::shared_ptr<const engine::Module>> mods(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < mods.size(); ++t) {
    threads.emplace_back([&, t] {
      auto m = engine.load(bytes);
      if (m) mods[t] = *m;
    });
  }
  for (auto& t : threads) t.join();
  for (auto& m : mods) {
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->loaded().type_ids, mods[0]->loaded().type_ids);
  }
  EXPECT_NE(mods[0]->loaded().type_ids[0], mods[0]->loaded().type_ids[1]);
  // Many stores can instantiate one module concurrently.
  std::atomic<int> good{0};
  threads.clear();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      engine::Store store(engine);
      engine::Linker linker;
      for (int i = 0; i < 50; ++i) {
        auto inst = linker.instantiate(store, mods[0]);
        if (!inst) return;
        auto r = store.call(*(*inst)->get_func("f"), std::vector<Value>{Value::i32(i)});
        if (r && (*r)[0].as_i32() == i) good++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 200);
}

TEST(RuntimeNames, ErrorKindsTrapTextsAndValues) {
  EXPECT_STREQ(engine::name_of(engine::ErrorKind::Unlinkable), "unlinkable");
  EXPECT_STREQ(engine::name_of(engine::ErrorKind::Io), "io");
  EXPECT_STREQ(engine::default_message(TrapKind::MemoryOutOfBounds), "out of bounds memory access");
  EXPECT_STREQ(engine::default_message(TrapKind::IndirectCallTypeMismatch), "indirect call type mismatch");
  EXPECT_STREQ(engine::default_message(TrapKind::InvalidConversion), "invalid conversion to integer");
  EXPECT_STREQ(engine::default_message(TrapKind::CallStackExhausted), "call stack exhausted");
  EXPECT_EQ(engine::to_string(Value::i32(42)), "i32:42");
  EXPECT_EQ(engine::to_string(Value::i32(0xFFFFFFFFu)), "i32:4294967295");
  EXPECT_EQ(engine::to_string(Value::i64(7)), "i64:7");
  EXPECT_EQ(engine::to_string(Value::f64(1.5)), "f64:1.5");
  EXPECT_EQ(engine::to_string(Value::f32(-0.25f)), "f32:-0.25");
  EXPECT_EQ(engine::to_string(Value::f32_bits(0x7fc00000)), "f32:nan:0x7fc00000");
  EXPECT_EQ(engine::to_string(Value::null(ValType::FuncRef)), "funcref:null");
  EXPECT_EQ(engine::to_string(Value::externref(0x10)), "externref:0x10");
}

}  // namespace
}  // namespace wasipool::test
