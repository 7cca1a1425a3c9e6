// The interpreter tier, as the runtime sees it: compile a validated module's functions into the
// interpreter's internal form once (at load), then invoke functions. A second tier (LLVM) provides the
// same two operations.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>

#include "../api/wasipool/engine.h"
#include "../ir/module.h"

namespace wasipool::runtime {
class StoreState;
struct FuncInst;
}  // namespace wasipool::runtime

namespace wasipool::interp {

struct CompiledModule;
struct CompiledFunc;

// Prepare a *validated* module for the interpreter. Each function's internal form is built on its
// first call (thread-safe; see docs/interpreter.md). Failing here means a resource limit (e.g. a
// function with too many locals), reported as ErrorKind::Limit.
// `constants` (from validation; null: the compiler finds them itself) must outlive the result.
Result<CompiledModule*, engine::Error> compile(const ir::Module& module, const ir::ConstantTable* constants = nullptr);
void destroy(CompiledModule* code);
// The compiled form of defined function `defined_index` (function index minus imported functions).
const CompiledFunc* function(const CompiledModule& code, uint32_t defined_index);

// Run wasm function `f` (f->code != null). slots[0..params) hold the arguments on entry and
// slots[0..results) the results on return; the caller sizes it max(params, results).
// Returns nullopt on success, else the trap (with a backtrace of function indices).
std::optional<engine::Trap> invoke(runtime::StoreState& store, runtime::FuncInst* f, uint64_t* slots);

}  // namespace wasipool::interp
