// Helpers for the interpreter tests: one module instantiated in its own store, called by export name.
// Modules are written in the text format and compiled by wabt's wat2wasm (test_runtime_helpers.h).
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_runtime_helpers.h"

namespace wasipool::test {

class InterpModule {
 public:
  explicit InterpModule(const std::string& text, engine::EngineConfig cfg = {},
                        const engine::Linker& linker = engine::Linker())
      : engine_(std::make_unique<engine::Engine>(cfg)), store_(std::make_unique<engine::Store>(*engine_)) {
    auto m = load(*engine_, text);
    if (!m) return;
    auto inst = linker.instantiate(*store_, m);
    if (!inst) {
      ADD_FAILURE() << "instantiate failed: " << inst.error().message;
      return;
    }
    instance_ = *inst;
  }
  bool ok() const { return instance_ != nullptr; }
  engine::Store& store() { return *store_; }
  engine::Instance* instance() { return instance_; }

  engine::CallResult call(const std::string& name, std::vector<engine::Value> args = {}) {
    auto f = instance_->get_func(name);
    if (!f) return fail(engine::Trap::host("no export " + name));
    return store_->call(*f, args);
  }
  // The single i32/i64 result of a call that must succeed (0 and a test failure otherwise).
  uint64_t bits(const std::string& name, std::vector<engine::Value> args = {}) {
    auto r = call(name, std::move(args));
    if (!r) {
      ADD_FAILURE() << name << " trapped: " << r.error().message;
      return 0;
    }
    if (r->size() != 1) {
      ADD_FAILURE() << name << " returned " << r->size() << " values";
      return 0;
    }
    return (*r)[0].bits;
  }
  // The trap of a call that must fail.
  engine::Trap trap(const std::string& name, std::vector<engine::Value> args = {}) {
    auto r = call(name, std::move(args));
    if (r) {
      ADD_FAILURE() << name << " did not trap";
      return engine::Trap{};
    }
    return r.error();
  }

 private:
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::Store> store_;
  engine::Instance* instance_ = nullptr;
};

inline engine::Value I32(uint32_t v) { return engine::Value::i32(v); }
inline engine::Value I64(uint64_t v) { return engine::Value::i64(v); }

}  // namespace wasipool::test
