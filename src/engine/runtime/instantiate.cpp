// Module instantiation in the order of the WebAssembly 2.0 spec (section 4.5.4): imports (already
// resolved and type-checked by the Linker), allocation of functions, tables, memories and globals,
// element and data segment instances, then active element segments, active data segments and the
// start function. A failure part-way leaves earlier effects in place (on imported tables and
// memories), exactly as 2.0 specifies; the half-built instance stays owned by the store because
// functions it defines may already sit in an imported table.
//
// Cost matters: a host may create one instance per request. Nothing here re-validates, re-compiles or
// copies code or data segment bytes; code is shared through the LoadedModule.
#include <algorithm>
#include <cstring>
#include <string>

#include "../interp/interp.h"
#include "runtime.h"

namespace wasipool::runtime {

namespace {
engine::Error uninstantiable(std::string msg) { return {engine::ErrorKind::Uninstantiable, std::move(msg)}; }
}  // namespace

Result<engine::Instance*, engine::Error> instantiate(StoreState& store, std::shared_ptr<const engine::Module> module,
                                                     std::span<const ResolvedImport> imports) {
  const engine::Limits& limits = store.engine.config().limits;
  // Bounds how much a guest-driven host (e.g. spectest "register" loops) can pile into one store.
  if (store.instances.size() >= limits.max_instances) {
    return fail(engine::Error{engine::ErrorKind::Limit,
                              "store already holds the maximum of " + std::to_string(limits.max_instances) +
                                  " instances"});
  }
  const LoadedModule& lm = module->loaded();
  const ir::Module& m = lm.ir;
  if (imports.size() != m.imports.size()) {
    return fail(engine::Error{engine::ErrorKind::Unlinkable, "wrong number of resolved imports"});
  }

  InstanceData& inst = store.instances.emplace_back();
  inst.module = std::move(module);
  inst.loaded = &lm;
  inst.funcs.reserve(m.total_funcs());
  inst.tables.reserve(m.total_tables());
  inst.memories.reserve(m.total_memories());
  inst.globals.reserve(m.total_globals());

  // Imports, in order: each kind's imports come first in its index space.
  for (size_t i = 0; i < m.imports.size(); ++i) {
    const ir::Import& imp = m.imports[i];
    const ResolvedImport& r = imports[i];
    if (const HostImport* h = std::get_if<HostImport>(&r)) {
      // A store-independent host function becomes a FuncInst of this store. Its type points at the
      // importing module's (structurally equal) type, which the store keeps alive with the instance,
      // so no FuncType is copied per instantiation.
      FuncInst& f = store.funcs.emplace_back();
      f.type_id = lm.type_ids[imp.func_type];
      f.type = &m.types[imp.func_type];
      f.host = *h->fn;
      inst.funcs.push_back(&f);
      continue;
    }
    const engine::Extern& ext = std::get<engine::Extern>(r);
    switch (imp.kind) {
      case ir::ExternKind::Func: inst.funcs.push_back(std::get<engine::Func>(ext).inst); break;
      case ir::ExternKind::Table: inst.tables.push_back(std::get<engine::Table>(ext).inst); break;
      case ir::ExternKind::Memory: inst.memories.push_back(std::get<engine::Memory>(ext).inst); break;
      case ir::ExternKind::Global: inst.globals.push_back(std::get<engine::Global>(ext).inst); break;
    }
  }

  // Defined functions share the module's compiled code; they live in one array per instance (not one
  // store allocation each), which keeps instantiation of large modules cheap.
  if (!m.functions.empty()) inst.defined_funcs = std::make_unique<FuncInst[]>(m.functions.size());
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    const ir::Function& fn = m.functions[i];
    FuncInst& f = inst.defined_funcs[i];
    f.type_id = lm.type_ids[fn.type];
    f.type = &m.types[fn.type];
    f.instance = &inst;
    f.index = m.num_imported_funcs + i;
    f.code = interp::function(*lm.code, i);
    inst.funcs.push_back(&f);
  }
  for (const ir::TableType& t : m.tables) {
    TableInst& ti = store.tables.emplace_back();
    auto r = init_table(ti, t, 0, limits);
    if (!r) return fail(std::move(r).error());
    inst.tables.push_back(&ti);
  }
  for (const ir::MemoryType& t : m.memories) {
    MemoryInst& mi = store.memories.emplace_back();
    auto r = init_memory(mi, t, limits, &store.engine.memory_pool());
    if (!r) return fail(std::move(r).error());
    inst.memories.push_back(&mi);
  }
  if (!inst.memories.empty()) inst.memory0 = inst.memories[0];
  // Global initialisers may read imported globals and take function references, both in place now.
  for (const ir::Global& g : m.globals) {
    GlobalInst& gi = store.globals.emplace_back();
    gi.type = g.type;
    gi.value = eval_const(g.init, inst);
    inst.globals.push_back(&gi);
  }

  inst.elems.resize(m.elems.size());
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ir::ElemSegment& seg = m.elems[i];
    if (seg.mode == ir::SegmentMode::Declarative) continue;  // dropped at once: never materialise it
    std::vector<uint64_t>& refs = inst.elems[i];
    refs.reserve(seg.init.size());
    for (const ir::ConstExpr& e : seg.init) refs.push_back(eval_const(e, inst));
  }
  // Data segments point into the module's bytes (kept alive by the instance): no copy.
  inst.datas.reserve(m.datas.size());
  for (const ir::DataSegment& seg : m.datas) inst.datas.push_back(m.range(seg.init));

  inst.handle = std::make_unique<engine::Instance>(&inst);

  // Active element segments: table.init then elem.drop, in order. The check covers offset + n with
  // 64-bit arithmetic so a guest-chosen offset near 2^32 cannot wrap into range.
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ir::ElemSegment& seg = m.elems[i];
    if (seg.mode != ir::SegmentMode::Active) continue;
    TableInst* t = inst.tables[seg.table];
    uint64_t offset = static_cast<uint32_t>(eval_const(seg.offset, inst));
    std::vector<uint64_t>& refs = inst.elems[i];
    if (offset + refs.size() > t->elems.size()) return fail(uninstantiable("out of bounds table access"));
    std::copy(refs.begin(), refs.end(), t->elems.begin() + static_cast<ptrdiff_t>(offset));
    std::vector<uint64_t>().swap(refs);  // elem.drop; also frees the storage
  }
  // Active data segments: memory.init then data.drop, same bounds rule against the current size.
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const ir::DataSegment& seg = m.datas[i];
    if (seg.mode != ir::SegmentMode::Active) continue;
    MemoryInst* mem = inst.memories[seg.memory];
    uint64_t offset = static_cast<uint32_t>(eval_const(seg.offset, inst));
    std::span<const uint8_t> bytes = inst.datas[i];
    if (offset + bytes.size() > mem->size) return fail(uninstantiable("out of bounds memory access"));
    if (!bytes.empty()) std::memcpy(mem->base + offset, bytes.data(), bytes.size());
    inst.datas[i] = {};
  }

  if (m.start) {
    uint32_t saved_depth = store.exec.depth;
    size_t saved_top = store.exec.stack_top;
    uint64_t slots[1] = {0};  // the start function has type [] -> []
    std::optional<engine::Trap> trap = invoke(store, inst.funcs[*m.start], slots, inst.handle.get());
    store.exec.depth = saved_depth;
    store.exec.stack_top = saved_top;
    if (trap) return fail(uninstantiable(trap->message));
  }
  return inst.handle.get();
}

}  // namespace wasipool::runtime
