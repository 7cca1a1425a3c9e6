// The decoded module: what the binary says, nothing executed. Produced by binary/ (decode), checked by
// validate/, read by runtime/ and the execution tiers. Immutable after decoding, so any number of
// threads may read one Module at once. Function bodies and data bytes are not copied: they are
// (offset, size) ranges into `bytes`, which the Module keeps alive (bytes_owner).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "opcodes.h"
#include "types.h"

namespace wasipool::ir {

// A byte range inside Module::bytes.
struct ByteRange {
  uint32_t offset = 0;
  uint32_t size = 0;
};

// One instruction of a constant expression. Constant expressions are kept as a general instruction
// list (not a single value) so the validator, not the decoder, decides what is "constant" — a
// non-constant instruction there is an *invalid* module, not a malformed one.
struct ConstInstr {
  Opcode op = Opcode::Nop;
  uint64_t imm = 0;        // i32/i64 value (sign-extended as decoded), f32/f64 bits, or an index
  ValType ref_type = ValType::FuncRef;  // for ref.null
  uint32_t offset = 0;     // byte offset of the instruction in the module, for error messages
};
struct ConstExpr {
  std::vector<ConstInstr> instrs;  // without the final `end`
  uint32_t offset = 0;
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0;  // kind == Func: type index
  TableType table;         // kind == Table
  MemoryType memory;       // kind == Memory
  GlobalType global;       // kind == Global
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

struct LocalDecl {
  uint32_t count = 0;
  ValType type = ValType::I32;
};

// A function defined in this module (imports are not here).
struct Function {
  uint32_t type = 0;                // type index
  std::vector<LocalDecl> locals;    // as declared, run-length
  uint32_t num_locals = 0;          // sum of locals[].count (params excluded)
  ByteRange body;                   // the expression: first instruction .. final `end` inclusive
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::Active;
  uint32_t table = 0;               // active only
  ConstExpr offset;                 // active only
  ValType type = ValType::FuncRef;
  std::vector<ConstExpr> init;      // funcidx vectors are stored as `ref.func x` expressions
  uint32_t offset_in_module = 0;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Active;  // Active or Passive
  uint32_t memory = 0;
  ConstExpr offset;                 // active only
  ByteRange init;
  uint32_t offset_in_module = 0;
};

struct CustomSection {
  std::string name;
  ByteRange contents;               // after the name
};

// Each defined function's distinct constants — the immediates of i32/i64/f32/f64.const as raw bits
// (32-bit ones zero-extended), ascending — as validation finds them while it reads every body. The
// interpreter's compiler needs a function's constants before it reads the body (they get frame slots
// below the operand stack); from this table it reads each body once instead of twice.
struct ConstantTable {
  std::vector<uint64_t> values;  // every function's run, one after another
  std::vector<uint32_t> first;   // defined index -> start of its run in values; one more entry at the end
  std::span<const uint64_t> of(uint32_t defined_index) const {
    return {values.data() + first[defined_index], first[defined_index + 1] - first[defined_index]};
  }
};

// Decoded "name" custom section (best effort: a malformed name section is ignored, as the spec allows).
struct Names {
  std::optional<std::string> module;
  std::map<uint32_t, std::string> functions;                      // function index -> name
  std::map<uint32_t, std::map<uint32_t, std::string>> locals;     // function index -> local -> name
};

struct Module {
  // The whole binary; ByteRanges point into it. `bytes_owner` keeps it alive: a heap copy made by the
  // decoder, or whatever the embedder lent (`wasipool run` lends its read-only file mapping, so the
  // 100+ KB of a module's debug sections are never copied or even touched).
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> bytes_owner;

  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Function> functions;  // defined functions; function index = num_imported_funcs + i
  std::vector<TableType> tables;    // defined tables (imports first in the index space)
  std::vector<MemoryType> memories; // defined memories
  std::vector<Global> globals;      // defined globals
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<uint32_t> data_count;
  std::vector<CustomSection> customs;
  Names names;

  // Counts of imported entities per kind (they come first in each index space).
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;

  // The full index spaces (imports first, then definitions), filled by the decoder so every stage
  // can look a type up in O(1).
  std::vector<uint32_t> func_types;      // function index -> type index
  std::vector<TableType> table_types;    // table index -> type
  std::vector<MemoryType> memory_types;  // memory index -> type
  std::vector<GlobalType> global_types;  // global index -> type

  uint32_t total_funcs() const { return static_cast<uint32_t>(func_types.size()); }
  uint32_t total_tables() const { return static_cast<uint32_t>(table_types.size()); }
  uint32_t total_memories() const { return static_cast<uint32_t>(memory_types.size()); }
  uint32_t total_globals() const { return static_cast<uint32_t>(global_types.size()); }
  const FuncType& func_type(uint32_t func_index) const { return types[func_types[func_index]]; }

  std::span<const uint8_t> range(ByteRange r) const { return {bytes.data() + r.offset, r.size}; }
};

}  // namespace wasipool::ir
