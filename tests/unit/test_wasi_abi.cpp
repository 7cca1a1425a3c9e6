// WASI layouts that differ between wasi_snapshot_preview1 and wasi_unstable, and guest-pointer
// checks, exercised through the real embedding API (owner: wasi). A tiny module re-exports the
// WASI imports behind wasm wrappers, the test writes records into its memory and reads results back.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "test_runtime_helpers.h"
#include "wasi/wasi.h"

namespace wasipool::wasi {
namespace {

const char* kModule = R"((module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $p1_poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $u_poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $p1_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $p1_random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $p1_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "p1_poll") (param i32 i32 i32 i32) (result i32)
    (call $p1_poll (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "u_poll") (param i32 i32 i32 i32) (result i32)
    (call $u_poll (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "write") (param i32 i32 i32 i32) (result i32)
    (call $p1_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "random") (param i32 i32) (result i32)
    (call $p1_random (local.get 0) (local.get 1)))
  (func (export "exit") (param i32) (call $p1_exit (local.get 0))))
)";

class WasiAbiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe(pipe_), 0);
    Config cfg;
    cfg.args = {"test"};
    cfg.stdout_fd = pipe_[1];
    auto ctx = make_context(cfg);
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    ctx_ = std::move(*ctx);
    add_to_linker(linker_, *ctx_);
    auto m = test::load(engine_, kModule);
    ASSERT_NE(m, nullptr);
    auto inst = linker_.instantiate(store_, m);
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    inst_ = *inst;
    mem_ = store_.memory_view(*inst_->get_memory("memory"));
  }
  void TearDown() override {
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }
  uint32_t call(const char* name, std::vector<uint32_t> args) {
    std::vector<engine::Value> v;
    for (uint32_t a : args) v.push_back(engine::Value::i32(a));
    auto r = store_.call(*inst_->get_func(name), v);
    EXPECT_TRUE(r.ok());
    return r.ok() ? (*r)[0].as_u32() : 0xffffffffu;
  }
  template <class T>
  void put(uint32_t addr, T v) { ASSERT_TRUE(mem_.store<T>(addr, v)); }
  template <class T>
  T get(uint32_t addr) { return mem_.load<T>(addr).value_or(T{}); }

  int pipe_[2] = {-1, -1};
  engine::Engine engine_;
  engine::Store store_{engine_};
  engine::Linker linker_;
  std::unique_ptr<Context> ctx_;
  engine::Instance* inst_ = nullptr;
  engine::MemoryView mem_;
};

// One relative 1 ms monotonic clock subscription, laid out per flavor; the event must come back with
// its userdata and no error. Offsets from the two witx files (see docs/wasi.md).
TEST_F(WasiAbiTest, PollClockSubscriptionLayouts) {
  // preview1: userdata @0, tag @8, id @16, timeout @24, precision @32, flags @40 (48 bytes)
  put<uint64_t>(100, 0x1111);
  put<uint8_t>(108, 0);
  put<uint32_t>(116, 1);
  put<uint64_t>(124, 1'000'000);
  put<uint16_t>(140, 0);
  EXPECT_EQ(call("p1_poll", {100, 400, 1, 500}), 0u);
  EXPECT_EQ(get<uint32_t>(500), 1u);
  EXPECT_EQ(get<uint64_t>(400), 0x1111u);
  EXPECT_EQ(get<uint16_t>(408), 0u);  // error
  EXPECT_EQ(get<uint8_t>(410), 0u);   // type clock

  // wasi_unstable: the clock body starts with a u64 identifier: id @24, timeout @32, flags @48.
  std::vector<uint8_t> zero(64, 0);
  ASSERT_TRUE(mem_.write(200, zero.data(), zero.size()));
  put<uint64_t>(200, 0x2222);
  put<uint8_t>(208, 0);
  put<uint64_t>(216, 0xdead);  // identifier
  put<uint32_t>(224, 1);
  put<uint64_t>(232, 1'000'000);
  EXPECT_EQ(call("u_poll", {200, 600, 1, 700}), 0u);
  EXPECT_EQ(get<uint32_t>(700), 1u);
  EXPECT_EQ(get<uint64_t>(600), 0x2222u);
  EXPECT_EQ(get<uint16_t>(608), 0u);

  // Read as preview1, the same bytes name clock id 0xdead: invalid, reported in the event.
  EXPECT_EQ(call("p1_poll", {200, 600, 1, 700}), 0u);
  EXPECT_EQ(get<uint16_t>(608), 28u);  // EINVAL
}

TEST_F(WasiAbiTest, PollAbsoluteDeadlineInThePastFiresAtOnce) {
  put<uint64_t>(100, 7);
  put<uint8_t>(108, 0);
  put<uint32_t>(116, 0);        // realtime
  put<uint64_t>(124, 1);        // 1 ns after the epoch
  put<uint16_t>(140, 1);        // ABSTIME
  EXPECT_EQ(call("p1_poll", {100, 400, 1, 500}), 0u);
  EXPECT_EQ(get<uint32_t>(500), 1u);
  EXPECT_EQ(call("p1_poll", {100, 400, 0, 500}), 28u);  // no subscriptions: EINVAL
}

TEST_F(WasiAbiTest, GuestPointersAreCheckedNotTrusted) {
  // fd_write with an iovec whose buffer runs past the end of memory: EFAULT, nothing written.
  put<uint32_t>(0, 65530);
  put<uint32_t>(4, 100);
  EXPECT_EQ(call("write", {1, 0, 1, 16}), 21u);  // EFAULT
  // An iovec array that wraps around 2^32 when multiplied out.
  EXPECT_EQ(call("write", {1, 0, 0x20000000, 16}), 21u);
  // The result pointer out of bounds: refused before anything is written.
  put<uint32_t>(0, 100);
  put<uint32_t>(4, 3);
  std::memcpy(mem_.bytes(100, 3)->data(), "ok\n", 3);
  EXPECT_EQ(call("write", {1, 0, 1, 65535}), 21u);
  // A good write reaches the pipe and reports its length.
  EXPECT_EQ(call("write", {1, 0, 1, 16}), 0u);
  EXPECT_EQ(get<uint32_t>(16), 3u);
  char buf[8] = {};
  ASSERT_GT(::read(pipe_[0], buf, sizeof buf), 0);
  EXPECT_STREQ(buf, "ok\n");
  EXPECT_EQ(call("random", {65000, 1000}), 21u);
  EXPECT_EQ(call("random", {65536, 0}), 0u);  // empty range at the very end is fine
  EXPECT_EQ(call("write", {42, 0, 1, 16}), 8u);  // EBADF
}

TEST_F(WasiAbiTest, ProcExitUnwindsWithTheCode) {
  std::vector<engine::Value> v{engine::Value::i32(7)};
  auto r = store_.call(*inst_->get_func("exit"), v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, engine::TrapKind::Exit);
  EXPECT_EQ(r.error().exit_code, 7);
}

}  // namespace
}  // namespace wasipool::wasi
