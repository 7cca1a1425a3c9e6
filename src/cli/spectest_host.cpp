// Owned by: spectest. The standard `spectest` host module that the spec scripts import from
// (print*, global_i32/i64/f32/f64, table, memory), built through the embedding API only.
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "spectest_script.h"

namespace wasipool::cli::spectest {
namespace {

using engine::FuncType;
using engine::ValType;

// Prints "spectest.print_i32(i32:42)" when verbose; the suite calls these thousands of times, so they
// are silent by default to keep the run fast and the output to failures only.
engine::HostFunction printer(std::string name, std::vector<ValType> params, bool verbose) {
  return [name = std::move(name), params = std::move(params), verbose](
             engine::Caller&, std::span<const uint64_t> args, std::span<uint64_t>) -> engine::HostResult {
    if (!verbose) return std::nullopt;
    std::string line = "called host spectest." + name + "(";
    for (size_t i = 0; i < params.size() && i < args.size(); ++i) {
      if (i) line += ", ";
      line += format(engine::Value{params[i], args[i]});
    }
    std::printf("%s)\n", line.c_str());
    return std::nullopt;
  };
}

}  // namespace

std::optional<std::string> define_spectest_module(engine::Linker& linker, engine::Store& store,
                                                  bool verbose) {
  struct PrintDef {
    const char* name;
    std::vector<ValType> params;
  };
  const PrintDef prints[] = {
      {"print", {}},
      {"print_i32", {ValType::I32}},
      {"print_i64", {ValType::I64}},
      {"print_f32", {ValType::F32}},
      {"print_f64", {ValType::F64}},
      {"print_i32_f32", {ValType::I32, ValType::F32}},
      {"print_f64_f64", {ValType::F64, ValType::F64}},
  };
  for (const auto& p : prints)
    linker.define_function("spectest", p.name, FuncType{p.params, {}}, printer(p.name, p.params, verbose));

  struct GlobalDef {
    const char* name;
    engine::Value value;
  };
  const GlobalDef globals[] = {
      {"global_i32", engine::Value::i32(666)},
      {"global_i64", engine::Value::i64(666)},
      {"global_f32", engine::Value::f32(666.6f)},
      {"global_f64", engine::Value::f64(666.6)},
  };
  for (const auto& g : globals) {
    auto created = store.create_global(engine::GlobalType{g.value.type, false}, g.value);
    if (!created) return std::string("spectest.") + g.name + ": " + created.error().message;
    linker.define("spectest", g.name, engine::Extern{*created});
  }

  auto table = store.create_table(engine::TableType{ValType::FuncRef, {10, 20}},
                                  engine::Value::null(ValType::FuncRef));
  if (!table) return "spectest.table: " + table.error().message;
  linker.define("spectest", "table", engine::Extern{*table});

  auto memory = store.create_memory(engine::MemoryType{{1, 2}});
  if (!memory) return "spectest.memory: " + memory.error().message;
  linker.define("spectest", "memory", engine::Extern{*memory});
  return std::nullopt;
}

}  // namespace wasipool::cli::spectest
