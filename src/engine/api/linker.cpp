// Linker: named definitions, import resolution and import type matching (spec 2.0 "external typing"
// and import subtyping: equal function types, limits with min >= and max <=, equal global types,
// equal table element types).
//
// Definitions are kept sorted by (module, name) with later definitions replacing earlier ones, so
// resolving an import is a binary search rather than a scan on the per-instantiation path.
#include <algorithm>
#include <string>
#include <vector>

#include "../runtime/runtime.h"

namespace wasipool::engine {

namespace {

template <class Defs>
auto find_def(Defs& defs, std::string_view module, std::string_view name) {
  auto it = std::lower_bound(defs.begin(), defs.end(), std::pair(module, name), [](const auto& d, const auto& key) {
    return d.first.module != key.first ? std::string_view(d.first.module) < key.first
                                       : std::string_view(d.first.name) < key.second;
  });
  if (it != defs.end() && it->first.module == module && it->first.name == name) return it;
  return defs.end();
}

template <class Defs, class Key, class Def>
void upsert(Defs& defs, Key key, Def def) {
  if (defs.empty() || defs.back().first < key) {  // definitions often arrive in order: no shifting
    if (defs.capacity() == 0) defs.reserve(64);
    defs.emplace_back(std::move(key), std::move(def));
    return;
  }
  auto it = std::lower_bound(defs.begin(), defs.end(), key, [](const auto& d, const Key& k) { return d.first < k; });
  if (it != defs.end() && !(key < it->first)) {
    it->second = std::move(def);  // later definitions win
  } else {
    defs.emplace(it, std::move(key), std::move(def));
  }
}

std::string limits_text(const ir::Limits& l) {
  std::string s = "{min " + std::to_string(l.min);
  if (l.max) s += ", max " + std::to_string(*l.max);
  return s + "}";
}

// Import subtyping of limits: the provided range must lie within the expected one.
bool limits_match(const ir::Limits& got, const ir::Limits& want) {
  if (got.min < want.min) return false;
  if (!want.max) return true;
  return got.max && *got.max <= *want.max;
}

std::string extern_text(const Extern& e) {
  if (std::visit([](const auto& h) { return h.inst == nullptr; }, e)) return "a null handle";
  struct V {
    std::string operator()(const Func& f) const { return "func " + ir::to_string(*f.inst->type); }
    std::string operator()(const Table& t) const {
      return std::string("table ") + ir::name_of(t.inst->type.elem) + " " + limits_text(t.inst->type.limits);
    }
    std::string operator()(const Memory& m) const { return "memory " + limits_text(m.inst->type.limits); }
    std::string operator()(const Global& g) const {
      return std::string("global ") + (g.inst->type.is_mutable ? "mut " : "") + ir::name_of(g.inst->type.type);
    }
  };
  return std::visit(V{}, e);
}

std::string import_text(const ir::Module& m, const ir::Import& imp) {
  switch (imp.kind) {
    case ExternKind::Func: return "func " + ir::to_string(m.types[imp.func_type]);
    case ExternKind::Table: return std::string("table ") + ir::name_of(imp.table.elem) + " " + limits_text(imp.table.limits);
    case ExternKind::Memory: return "memory " + limits_text(imp.memory.limits);
    case ExternKind::Global:
      return std::string("global ") + (imp.global.is_mutable ? "mut " : "") + ir::name_of(imp.global.type);
  }
  return "?";
}

ExternKind kind_of(const Extern& e) { return static_cast<ExternKind>(e.index()); }

bool extern_matches(const runtime::LoadedModule& lm, const ir::Import& imp, const Extern& e) {
  if (kind_of(e) != imp.kind || std::visit([](const auto& h) { return h.inst == nullptr; }, e)) return false;
  switch (imp.kind) {
    case ExternKind::Func: return std::get<Func>(e).inst->type_id == lm.type_ids[imp.func_type];
    case ExternKind::Table: {
      const runtime::TableInst* t = std::get<Table>(e).inst;
      return t->type.elem == imp.table.elem && limits_match(t->type.limits, imp.table.limits);
    }
    case ExternKind::Memory: return limits_match(std::get<Memory>(e).inst->type.limits, imp.memory.limits);
    case ExternKind::Global: return std::get<Global>(e).inst->type == imp.global;
  }
  return false;
}

Error incompatible(const ir::Module& m, const ir::Import& imp, const std::string& got) {
  return Error{ErrorKind::Unlinkable, "incompatible import type: \"" + imp.module + "\" \"" + imp.name +
                                          "\": expected " + import_text(m, imp) + ", got " + got};
}

}  // namespace

void Linker::define_function(std::string module, std::string name, FuncType type, HostFunction fn) {
  upsert(defs_, Key{std::move(module), std::move(name)},
         std::variant<HostDef, Extern>(HostDef{std::move(type), std::make_shared<HostFunction>(std::move(fn))}));
}

void Linker::define(std::string module, std::string name, Extern ext) {
  upsert(defs_, Key{std::move(module), std::move(name)}, std::variant<HostDef, Extern>(ext));
}

void Linker::define_instance(std::string module, const Instance& instance) {
  for (const ir::Export& e : instance.module().ir().exports) {
    if (auto ext = instance.get_export(e.name)) define(module, e.name, *ext);
  }
}

Result<Instance*, Error> Linker::instantiate(Store& store, std::shared_ptr<const Module> module) const {
  const runtime::LoadedModule& lm = module->loaded();
  const ir::Module& m = lm.ir;
  std::vector<runtime::ResolvedImport> resolved;
  resolved.reserve(m.imports.size());
  for (const ir::Import& imp : m.imports) {
    auto it = find_def(defs_, imp.module, imp.name);
    if (it == defs_.end()) {
      return fail(Error{ErrorKind::Unlinkable, "unknown import: \"" + imp.module + "\" \"" + imp.name + "\""});
    }
    if (const HostDef* h = std::get_if<HostDef>(&it->second)) {
      if (imp.kind != ExternKind::Func || h->type != m.types[imp.func_type]) {
        return fail(incompatible(m, imp, "func " + ir::to_string(h->type)));
      }
      resolved.emplace_back(runtime::HostImport{&h->fn});
      continue;
    }
    const Extern& e = std::get<Extern>(it->second);
    if (!extern_matches(lm, imp, e)) return fail(incompatible(m, imp, extern_text(e)));
    resolved.emplace_back(e);
  }
  return runtime::instantiate(store.state(), std::move(module), resolved);
}

}  // namespace wasipool::engine
