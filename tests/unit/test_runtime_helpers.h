// Helpers for the runtime tests: compile WebAssembly text with wabt's wat2wasm (a Debian package the
// build already needs) and load it through the real embedding API.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "../../src/engine/runtime/objects.h"
#include "wasipool/engine.h"

namespace wasipool::test {

// Returns the binary for `text`; an empty vector (and a test failure) if wat2wasm rejects it.
inline std::vector<uint8_t> wat(const std::string& text) {
  char dir[] = "/tmp/wasipool-rt-XXXXXX";
  if (!mkdtemp(dir)) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  std::string in = std::string(dir) + "/m.wat", out = std::string(dir) + "/m.wasm";
  std::ofstream(in) << text;
  std::string cmd = "wat2wasm " + in + " -o " + out + " 2>" + std::string(dir) + "/err";
  int rc = std::system(cmd.c_str());
  std::vector<uint8_t> bytes;
  if (rc != 0) {
    std::ifstream err(std::string(dir) + "/err");
    ADD_FAILURE() << "wat2wasm failed: " << std::string(std::istreambuf_iterator<char>(err), {});
  } else {
    std::ifstream f(out, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  std::system(("rm -rf " + std::string(dir)).c_str());
  return bytes;
}

// Loads `text` or fails the test with the engine's message.
inline std::shared_ptr<const engine::Module> load(const engine::Engine& e, const std::string& text) {
  auto bytes = wat(text);
  auto m = e.load(bytes);
  if (!m) {
    ADD_FAILURE() << "load failed: " << engine::name_of(m.error().kind) << ": " << m.error().message;
    return nullptr;
  }
  return *m;
}

inline engine::FuncType sig(std::vector<ir::ValType> params, std::vector<ir::ValType> results) {
  return engine::FuncType{std::move(params), std::move(results)};
}

}  // namespace wasipool::test
