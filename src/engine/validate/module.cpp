// Module-level validation (spec 3.4): types referenced by imports and functions, limits, the single
// memory, globals, segments, the start function, exports; then every function body.
#include <algorithm>
#include <string_view>

#include "../binary/body_scan.h"
#include "context.h"
#include "validate.h"

namespace wasipool::validate {
namespace {

using engine::Error;


Result<Ok, Error> check_table_limits(const ir::Limits& l) {
  if (l.max && l.min > *l.max)
    return fail(make_invalid_here("size minimum must not be greater than maximum",
                                  "table " + std::to_string(l.min) + " > " + std::to_string(*l.max)));
  return Ok{};
}

Result<Ok, Error> check_memory_limits(const ir::Limits& l) {
  if (l.min > ir::kMaxPages || (l.max && *l.max > ir::kMaxPages))
    return fail(make_invalid_here("memory size must be at most 65536 pages (4GiB)", ""));
  if (l.max && l.min > *l.max)
    return fail(make_invalid_here("size minimum must not be greater than maximum",
                                  "memory " + std::to_string(l.min) + " > " + std::to_string(*l.max)));
  return Ok{};
}

void mark_refs(const ir::ConstExpr& e, std::vector<bool>& declared) {
  for (const auto& in : e.instrs)
    if (in.op == ir::Opcode::RefFunc && in.imm < declared.size()) declared[in.imm] = true;
}

Result<Ok, Error> validate_module(const ir::Module& m, ir::ConstantTable* constants);

}  // namespace

Result<Ok, Error> validate(const ir::Module& m, ir::ConstantTable* constants) {
  auto r = validate_module(m, constants);
  if (!r) {
    // The spec decodes completely before it validates: if any body is malformed, that is the error,
    // even when an (earlier) validation error was found first. Only the failure path pays for this.
    if (auto malformed = binary::scan_bodies(m)) return fail(std::move(*malformed));
  }
  return r;
}

namespace {

Result<Ok, Error> validate_module(const ir::Module& m, ir::ConstantTable* constants) {
  const uint32_t num_types = static_cast<uint32_t>(m.types.size());

  // Type indices first: everything after this may look up m.func_type(i) safely.
  for (uint32_t i = 0; i < m.total_funcs(); ++i)
    if (m.func_types[i] >= num_types)
      return fail(make_invalid_here(unknown("type", m.func_types[i]),
                                    "function " + std::to_string(i) + "; " + has_count(num_types)));

  for (const auto& t : m.table_types)
    if (auto r = check_table_limits(t.limits); !r) return r;
  for (const auto& mem : m.memory_types)
    if (auto r = check_memory_limits(mem.limits); !r) return r;
  if (m.total_memories() > 1)
    return fail(make_invalid_here("multiple memories",
                                  std::to_string(m.total_memories()) + " memories (at most 1)"));

  Context ctx{m, std::vector<bool>(m.total_funcs(), false), constants};

  for (const auto& g : m.globals) {
    if (auto r = validate_const_expr(ctx, g.init, g.type.type); !r) return r;
    mark_refs(g.init, ctx.declared_funcs);
  }

  for (const auto& seg : m.elems) {
    if (seg.mode == ir::SegmentMode::Active) {
      if (seg.table >= m.total_tables())
        return fail(make_invalid(unknown("table", seg.table), seg.offset_in_module,
                                 has_count(m.total_tables())));
      if (auto r = validate_const_expr(ctx, seg.offset, ir::ValType::I32); !r) return r;
      const ir::ValType table_elem = m.table_types[seg.table].elem;
      if (table_elem != seg.type)
        return fail(make_invalid("type mismatch", seg.offset_in_module,
                                 std::string("element segment of ") + ir::name_of(seg.type) +
                                     " for a table of " + ir::name_of(table_elem)));
      mark_refs(seg.offset, ctx.declared_funcs);
    }
    for (const auto& e : seg.init) {
      if (auto r = validate_const_expr(ctx, e, seg.type); !r) return r;
      mark_refs(e, ctx.declared_funcs);
    }
  }

  for (const auto& seg : m.datas) {
    if (seg.mode != ir::SegmentMode::Active) continue;
    if (seg.memory >= m.total_memories())
      return fail(make_invalid(unknown("memory", seg.memory), seg.offset_in_module,
                               has_count(m.total_memories())));
    if (auto r = validate_const_expr(ctx, seg.offset, ir::ValType::I32); !r) return r;
    mark_refs(seg.offset, ctx.declared_funcs);
  }

  if (m.start) {
    if (*m.start >= m.total_funcs())
      return fail(make_invalid_here(unknown("function", *m.start),
                                    "start function; " + has_count(m.total_funcs())));
    const ir::FuncType& t = m.func_type(*m.start);
    if (!t.params.empty() || !t.results.empty())
      return fail(make_invalid_here("start function", "type " + ir::to_string(t) +
                                                          ", expected () -> ()"));
  }

  std::vector<std::string_view> names;
  names.reserve(m.exports.size());
  for (const auto& e : m.exports) {
    uint32_t limit = 0;
    const char* what = "";
    switch (e.kind) {
      case ir::ExternKind::Func: limit = m.total_funcs(); what = "function"; break;
      case ir::ExternKind::Table: limit = m.total_tables(); what = "table"; break;
      case ir::ExternKind::Memory: limit = m.total_memories(); what = "memory"; break;
      case ir::ExternKind::Global: limit = m.total_globals(); what = "global"; break;
    }
    if (e.index >= limit)
      return fail(make_invalid_here(unknown(what, e.index),
                                    "export \"" + e.name + "\"; " + has_count(limit)));
    if (e.kind == ir::ExternKind::Func) ctx.declared_funcs[e.index] = true;
    names.push_back(e.name);
  }
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end())
    return fail(make_invalid_here("duplicate export name", "\"" + std::string(*dup) + "\""));

  return validate_functions(ctx);
}

}  // namespace

}  // namespace wasipool::validate
