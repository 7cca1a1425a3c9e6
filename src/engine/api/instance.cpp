// Instance: exports by name.
#include "../runtime/objects.h"

namespace wasipool::engine {

std::optional<Extern> Instance::get_export(std::string_view name) const {
  for (const ir::Export& e : data_->loaded->ir.exports) {
    if (e.name != name) continue;
    switch (e.kind) {
      case ExternKind::Func: return Extern{Func{data_->funcs[e.index]}};
      case ExternKind::Table: return Extern{Table{data_->tables[e.index]}};
      case ExternKind::Memory: return Extern{Memory{data_->memories[e.index]}};
      case ExternKind::Global: return Extern{Global{data_->globals[e.index]}};
    }
  }
  return std::nullopt;
}

namespace {
template <class T>
std::optional<T> get_as(const Instance& inst, std::string_view name) {
  auto e = inst.get_export(name);
  if (!e) return std::nullopt;
  if (const T* v = std::get_if<T>(&*e)) return *v;
  return std::nullopt;
}
}  // namespace

std::optional<Func> Instance::get_func(std::string_view name) const { return get_as<Func>(*this, name); }
std::optional<Memory> Instance::get_memory(std::string_view name) const { return get_as<Memory>(*this, name); }
std::optional<Global> Instance::get_global(std::string_view name) const { return get_as<Global>(*this, name); }
std::optional<Table> Instance::get_table(std::string_view name) const { return get_as<Table>(*this, name); }

const Module& Instance::module() const { return *data_->module; }

}  // namespace wasipool::engine
