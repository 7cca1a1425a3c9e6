// Store: owner of runtime objects, and the host -> guest call entry with typed values.
#include <algorithm>
#include <string>
#include <vector>

#include "../runtime/runtime.h"

namespace wasipool::engine {

Store::Store(const Engine& engine)
    : engine_(engine), state_(std::make_unique<runtime::StoreState>(*this, engine.state())) {}

Store::~Store() = default;

Func Store::create_host_function(FuncType type, HostFunction fn) {
  runtime::FuncInst& f = state_->funcs.emplace_back();
  f.type_id = engine_.state().intern(type);
  f.host_type = std::move(type);
  f.type = &f.host_type;  // deque elements never move, so the self-pointer stays valid
  f.host = std::make_shared<HostFunction>(std::move(fn));
  return Func{&f};
}

Result<Memory, Error> Store::create_memory(MemoryType type) {
  runtime::MemoryInst& m = state_->memories.emplace_back();
  auto r = runtime::init_memory(m, type, engine_.config().limits, &engine_.state().memory_pool());
  if (!r) {
    state_->memories.pop_back();
    return fail(std::move(r).error());
  }
  return Memory{&m};
}

Result<Table, Error> Store::create_table(TableType type, Value init) {
  if (init.type != type.elem) {
    return fail(Error{ErrorKind::Invalid, std::string("table of ") + ir::name_of(type.elem) +
                                              " cannot be initialised with a " + ir::name_of(init.type)});
  }
  runtime::TableInst& t = state_->tables.emplace_back();
  auto r = runtime::init_table(t, type, init.bits, engine_.config().limits);
  if (!r) {
    state_->tables.pop_back();
    return fail(std::move(r).error());
  }
  return Table{&t};
}

Result<Global, Error> Store::create_global(GlobalType type, Value init) {
  if (init.type != type.type) {
    return fail(Error{ErrorKind::Invalid, std::string("global of ") + ir::name_of(type.type) +
                                              " cannot be initialised with a " + ir::name_of(init.type)});
  }
  runtime::GlobalInst& g = state_->globals.emplace_back();
  g.type = type;
  g.value = init.bits;
  return Global{&g};
}

namespace {
// Slots hold i32/f32 zero-extended; a host-built Value with stray upper bits must not leak them.
uint64_t to_slot(const Value& v) {
  return (v.type == ValType::I32 || v.type == ValType::F32) ? (v.bits & 0xffffffffu) : v.bits;
}
}  // namespace

CallResult Store::call(Func f, std::span<const Value> args) {
  if (!f.inst) return fail(Trap::host("call of a null function"));
  const FuncType& type = *f.inst->type;
  if (args.size() != type.params.size()) {
    return fail(Trap::host("argument count mismatch: expected " + std::to_string(type.params.size()) + ", got " +
                           std::to_string(args.size())));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type != type.params[i]) {
      return fail(Trap::host("argument type mismatch: argument " + std::to_string(i) + " is " +
                             ir::name_of(args[i].type) + ", expected " + ir::name_of(type.params[i])));
    }
  }
  // A pending interrupt stops new calls too, until the host clears it.
  if (state_->exec.interrupt->load(std::memory_order_relaxed)) {
    return fail(Trap{TrapKind::Interrupted, default_message(TrapKind::Interrupted), {}, 0});
  }
  size_t n = std::max(type.params.size(), type.results.size());
  uint64_t small[16];
  std::vector<uint64_t> big;
  uint64_t* slots = small;
  if (n > 16) {
    big.resize(n);
    slots = big.data();
  }
  for (size_t i = 0; i < args.size(); ++i) slots[i] = to_slot(args[i]);

  // Re-entrant calls (a host function calling back into the guest) nest on the same depth counter;
  // restoring it makes a trapped call leave no residue behind.
  runtime::ExecState& exec = state_->exec;
  uint32_t saved_depth = exec.depth;
  size_t saved_top = exec.stack_top;
  std::optional<Trap> trap = runtime::invoke(*state_, f.inst, slots, nullptr);
  exec.depth = saved_depth;
  exec.stack_top = saved_top;
  if (trap) return fail(std::move(*trap));

  std::vector<Value> results;
  results.reserve(type.results.size());
  for (size_t i = 0; i < type.results.size(); ++i) results.push_back(Value{type.results[i], slots[i]});
  return results;
}

const FuncType& Store::func_type(Func f) const { return *f.inst->type; }
TableType Store::table_type(Table t) const { return t.inst->type; }
MemoryType Store::memory_type(Memory m) const { return m.inst->type; }
GlobalType Store::global_type(Global g) const { return g.inst->type; }
Value Store::global_get(Global g) const { return Value{g.inst->type.type, g.inst->value}; }

InterruptHandle Store::interrupt_handle() const { return InterruptHandle(state_->exec.interrupt); }
void Store::clear_interrupt() { state_->exec.interrupt->store(0, std::memory_order_relaxed); }

}  // namespace wasipool::engine
