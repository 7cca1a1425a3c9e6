// Opcode enumeration and metadata generated from opcodes.def (the one opcode table).
#pragma once
#include <cstdint>
#include <optional>

namespace wasipool::ir {

enum class Imm : uint8_t {
  None, BlockType, Label, BrTable, Func, CallIndirect, Local, Global, Table, MemArg, Memory,
  I32, I64, F32, F64, RefType, SelectT, MemoryInit, Data, MemoryCopy, TableInit, Elem, TableCopy,
};

// Simple stack signatures: <params>_<results>; i=i32 l=i64 f=f32 d=f64 v=none.
enum class Sig : uint8_t {
  Special,
  v_i, v_l, v_f, v_d,
  i_i, l_l, f_f, d_d,
  ii_i, ll_l, ff_f, dd_d,
  l_i, ll_i, ff_i, dd_i,
  f_i, d_i, i_l, f_l, d_l, i_f, l_f, d_f, i_d, l_d, f_d,
  ii_v, il_v, if_v, id_v,
};

// Dense enumeration in table order (not the binary encoding).
enum class Opcode : uint16_t {
#define WASIPOOL_OPCODE(Name, Prefix, Code, Text, ImmK, SigK, Align) Name,
#include "opcodes.def"
#undef WASIPOOL_OPCODE
  kCount
};

struct OpcodeInfo {
  const char* text;
  uint8_t prefix;  // 0 or 0xFC
  uint32_t code;
  Imm imm;
  Sig sig;
  uint8_t natural_align;  // log2 bytes, memory accesses only
};

const OpcodeInfo& info(Opcode op);
inline const char* name_of(Opcode op) { return info(op).text; }

// Binary encoding -> opcode; nullopt for bytes that are not a WebAssembly 2.0 (non-SIMD) opcode.
std::optional<Opcode> opcode_from_byte(uint8_t byte);
std::optional<Opcode> opcode_from_fc(uint32_t sub);

// For bytes that are not 2.0 opcodes but belong to a known proposal: the proposal's name
// ("simd", "threads", "exception-handling", "tail-call", "gc", "function-references"), else nullptr.
// Lets the decoder say "unsupported feature: <name>" instead of a generic illegal opcode.
const char* proposal_of_byte(uint8_t byte);

}  // namespace wasipool::ir
