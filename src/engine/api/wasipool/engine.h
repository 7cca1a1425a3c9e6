// The embedding API: the only way the CLI, WASI, the app hosts and the shims reach the engine.
//
// Lifetimes and threading:
//   Engine  — one per process, built in main() and passed down. Thread-safe: load() may run
//             concurrently on many threads.
//   Module  — decoded, validated and prepared for execution; immutable; shared via shared_ptr by any
//             number of threads and stores.
//   Linker  — a set of named definitions used to resolve imports. Host functions defined on it are
//             store-independent, so one Linker serves every per-request Store. Not thread-safe to
//             mutate; safe to instantiate from many threads once built.
//   Store   — owns every runtime object (instances, memories, tables, globals, functions) it creates;
//             single-threaded, except interrupt handles. Handles (Func/Memory/...) and Instance* borrow
//             from the Store and die with it.
//
// Failures are values: Result<T, Error> for load/instantiate, Result<vector<Value>, Trap> for calls.
// No C++ exception ever crosses guest frames.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../../ir/module.h"
#include "../../ir/types.h"
#include "result.h"

namespace wasipool::runtime {
struct FuncInst;
struct TableInst;
struct MemoryInst;
struct GlobalInst;
struct InstanceData;
struct LoadedModule;
class StoreState;
class EngineState;
}  // namespace wasipool::runtime

namespace wasipool::engine {

using ir::ExternKind;
using ir::FuncType;
using ir::GlobalType;
using ir::MemoryType;
using ir::TableType;
using ir::ValType;

// ---- errors -------------------------------------------------------------------------------------

enum class ErrorKind : uint8_t {
  Malformed,       // the bytes are not a WebAssembly binary (decoder)
  Invalid,         // well-formed but fails validation
  Unsupported,     // uses a proposal we do not implement ("unsupported feature: simd")
  Unlinkable,      // an import is missing or has the wrong type
  Uninstantiable,  // a segment does not fit, or the start function trapped
  Limit,           // a configured resource limit was exceeded
  Io,              // the file could not be read
};
const char* name_of(ErrorKind k);

struct Error {
  ErrorKind kind = ErrorKind::Malformed;
  std::string message;  // names what and where: "type mismatch in function 12 at offset 0x1a3: ..."
};

enum class TrapKind : uint8_t {
  Unreachable,               // "unreachable"
  MemoryOutOfBounds,         // "out of bounds memory access"
  TableOutOfBounds,          // "out of bounds table access"
  UndefinedElement,          // "undefined element" (call_indirect index past the table)
  UninitializedElement,      // "uninitialized element" (call_indirect through a null entry)
  IndirectCallTypeMismatch,  // "indirect call type mismatch"
  IntegerDivideByZero,       // "integer divide by zero"
  IntegerOverflow,           // "integer overflow"
  InvalidConversion,         // "invalid conversion to integer"
  CallStackExhausted,        // "call stack exhausted"
  Interrupted,               // "interrupted": another thread asked the store to stop
  Exit,                      // the guest asked to exit (WASI proc_exit); exit_code holds the status
  Host,                      // a host function failed; message says why
};
const char* default_message(TrapKind k);

struct Trap {
  TrapKind kind = TrapKind::Unreachable;
  std::string message;                // the spec's text for wasm traps
  std::vector<uint32_t> backtrace;    // function indices, innermost first
  int32_t exit_code = 0;              // kind == Exit only

  static Trap exit(int32_t code) { return Trap{TrapKind::Exit, "exit", {}, code}; }
  static Trap host(std::string msg) { return Trap{TrapKind::Host, std::move(msg), {}, 0}; }
};

// ---- values -------------------------------------------------------------------------------------

// A typed value. `bits` is the raw representation the engine uses in its slots: i32 zero-extended,
// f32/f64 as IEEE bits (so NaN payloads survive), references as 0 = null, else an opaque non-zero word
// (a function reference, or whatever non-zero value the host chose for an externref).
struct Value {
  ValType type = ValType::I32;
  uint64_t bits = 0;

  static Value i32(uint32_t v) { return {ValType::I32, v}; }
  static Value i64(uint64_t v) { return {ValType::I64, v}; }
  static Value f32_bits(uint32_t v) { return {ValType::F32, v}; }
  static Value f64_bits(uint64_t v) { return {ValType::F64, v}; }
  static Value f32(float v) { uint32_t b; std::memcpy(&b, &v, 4); return f32_bits(b); }
  static Value f64(double v) { uint64_t b; std::memcpy(&b, &v, 8); return f64_bits(b); }
  static Value null(ValType ref_type) { return {ref_type, 0}; }
  static Value externref(uint64_t host_value_nonzero) { return {ValType::ExternRef, host_value_nonzero}; }

  uint32_t as_u32() const { return static_cast<uint32_t>(bits); }
  int32_t as_i32() const { return static_cast<int32_t>(bits); }
  uint64_t as_u64() const { return bits; }
  int64_t as_i64() const { return static_cast<int64_t>(bits); }
  float as_f32() const { uint32_t b = static_cast<uint32_t>(bits); float f; std::memcpy(&f, &b, 4); return f; }
  double as_f64() const { double d; std::memcpy(&d, &bits, 8); return d; }
  bool is_null() const { return bits == 0; }
};
std::string to_string(const Value& v);  // "i32:42", "f64:1.5", "funcref:null"

using CallResult = Result<std::vector<Value>, Trap>;

// ---- handles (borrowed from a Store) ------------------------------------------------------------

struct Func { runtime::FuncInst* inst = nullptr; };
struct Table { runtime::TableInst* inst = nullptr; };
struct Memory { runtime::MemoryInst* inst = nullptr; };
struct Global { runtime::GlobalInst* inst = nullptr; };
using Extern = std::variant<Func, Table, Memory, Global>;

// Bounds-checked access to a linear memory for host code. Every method checks [addr, addr+len)
// against the current size with 64-bit arithmetic, so a guest-supplied (pointer, length) can never
// wrap around or reach past the end: guest pointers are never trusted. Spans returned stay valid
// until the store is destroyed (memory never moves), but their contents may change on any call into
// the guest, so copy what must be stable (e.g. iovec arrays) before acting on it.
class MemoryView {
 public:
  MemoryView() = default;
  explicit MemoryView(runtime::MemoryInst* mem) : mem_(mem) {}
  bool valid() const { return mem_ != nullptr; }
  uint64_t size() const;
  std::optional<std::span<uint8_t>> bytes(uint64_t addr, uint64_t len) const;
  bool read(uint64_t addr, void* out, uint64_t len) const;
  bool write(uint64_t addr, const void* in, uint64_t len) const;
  template <class T>
  std::optional<T> load(uint64_t addr) const {  // little-endian host, as the engine requires
    T v;
    if (!read(addr, &v, sizeof v)) return std::nullopt;
    return v;
  }
  template <class T>
  bool store(uint64_t addr, T v) const { return write(addr, &v, sizeof v); }

 private:
  runtime::MemoryInst* mem_ = nullptr;
};

class Store;
class Instance;

// What a host function sees of its caller.
class Caller {
 public:
  Caller(Store& store, Instance* instance) : store_(store), instance_(instance) {}
  Store& store() { return store_; }
  Instance* instance() { return instance_; }  // null when a host function is called from the host
  // The caller's exported "memory", else its memory 0; invalid view if it has none.
  MemoryView memory();

 private:
  Store& store_;
  Instance* instance_;
};

// A host function: args and results are raw slots (Value::bits) in the order of the FuncType.
// Return std::nullopt on success, or a Trap (Trap::exit for proc_exit) to unwind the guest.
using HostResult = std::optional<Trap>;
using HostFunction =
    std::function<HostResult(Caller& caller, std::span<const uint64_t> args, std::span<uint64_t> results)>;

// ---- engine and modules -------------------------------------------------------------------------

struct Limits {
  uint32_t max_memory_pages = ir::kMaxPages;   // per memory; memory.grow past it returns -1
  uint32_t max_table_elements = 10'000'000;    // per table; table.grow past it returns -1
  uint32_t max_call_depth = 10'000;            // wasm frames; deeper recursion traps "call stack exhausted"
  uint32_t max_instances = 10'000;             // per store
};

enum class Tier : uint8_t { Interpreter };  // the LLVM tier slots in here

struct EngineConfig {
  Limits limits;
  Tier tier = Tier::Interpreter;
};

class Module;

class Engine {
 public:
  explicit Engine(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Decode, validate and prepare for execution. Thread-safe. `load` copies `wasm`; `load_shared` does
  // not: the Module points into `wasm` and keeps `owner` (which must keep those bytes alive and
  // unchanged) for as long as it lives.
  Result<std::shared_ptr<const Module>, Error> load(std::span<const uint8_t> wasm) const;
  Result<std::shared_ptr<const Module>, Error> load_shared(std::shared_ptr<const void> owner,
                                                          std::span<const uint8_t> wasm) const;
  Result<std::shared_ptr<const Module>, Error> load_file(const std::string& path) const;
  const EngineConfig& config() const;
  runtime::EngineState& state() const { return *state_; }

 private:
  std::unique_ptr<runtime::EngineState> state_;
};

class Module {
 public:
  explicit Module(std::unique_ptr<runtime::LoadedModule> loaded);
  ~Module();
  const ir::Module& ir() const;  // types, imports, exports, custom sections, names
  const runtime::LoadedModule& loaded() const { return *loaded_; }

 private:
  std::unique_ptr<runtime::LoadedModule> loaded_;
};

// ---- instances and stores -----------------------------------------------------------------------

class Instance {
 public:
  explicit Instance(runtime::InstanceData* data) : data_(data) {}
  std::optional<Extern> get_export(std::string_view name) const;
  std::optional<Func> get_func(std::string_view name) const;
  std::optional<Memory> get_memory(std::string_view name) const;
  std::optional<Global> get_global(std::string_view name) const;
  std::optional<Table> get_table(std::string_view name) const;
  const Module& module() const;
  runtime::InstanceData* data() const { return data_; }

 private:
  runtime::InstanceData* data_;
};

// Lets another thread stop a store's running guest: the guest traps with TrapKind::Interrupted at its
// next function entry or loop back-edge (well within 10 ms). Outlives the store safely.
class InterruptHandle {
 public:
  explicit InterruptHandle(std::shared_ptr<std::atomic<uint32_t>> flag) : flag_(std::move(flag)) {}
  void interrupt() const { flag_->store(1, std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<uint32_t>> flag_;
};

class Store {
 public:
  explicit Store(const Engine& engine);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Engine& engine() const { return engine_; }

  Func create_host_function(FuncType type, HostFunction fn);
  Result<Memory, Error> create_memory(MemoryType type);
  Result<Table, Error> create_table(TableType type, Value init);
  Result<Global, Error> create_global(GlobalType type, Value init);

  // Call a function with typed arguments (checked against its type) and get typed results.
  CallResult call(Func f, std::span<const Value> args);

  const FuncType& func_type(Func f) const;
  TableType table_type(Table t) const;
  MemoryType memory_type(Memory m) const;
  GlobalType global_type(Global g) const;
  Value global_get(Global g) const;
  MemoryView memory_view(Memory m) const { return MemoryView(m.inst); }

  InterruptHandle interrupt_handle() const;
  void clear_interrupt();  // allow calls again after an interrupt

  runtime::StoreState& state() { return *state_; }

 private:
  const Engine& engine_;
  std::unique_ptr<runtime::StoreState> state_;
};

class Linker {
 public:
  Linker() = default;
  // Host function, store-independent: each instantiation creates it in the target store.
  void define_function(std::string module, std::string name, FuncType type, HostFunction fn);
  // A store-bound definition (a memory, table, global or function created in, or exported by, a store).
  // Only valid for instantiations into that same store.
  void define(std::string module, std::string name, Extern ext);
  // Every export of `instance` under module name `module` (the spec tests' "register").
  void define_instance(std::string module, const Instance& instance);

  // Resolve imports (type-checked), allocate, initialise segments, run the start function.
  // The Store keeps `module` alive and owns the returned Instance.
  Result<Instance*, Error> instantiate(Store& store, std::shared_ptr<const Module> module) const;

 private:
  struct HostDef {
    FuncType type;
    std::shared_ptr<HostFunction> fn;
  };
  struct Key {
    std::string module, name;
    bool operator<(const Key& o) const { return module != o.module ? module < o.module : name < o.name; }
  };
  std::vector<std::pair<Key, std::variant<HostDef, Extern>>> defs_;  // later definitions win
  friend class runtime::StoreState;
  friend struct LinkerAccess;
};

}  // namespace wasipool::engine
