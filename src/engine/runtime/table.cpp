// Tables: a vector of reference slots (0 = null). Growth may reallocate `elems`, so tiers re-read the
// data pointer after any call that can grow a table.
#include <algorithm>
#include <new>
#include <string>

#include "runtime.h"

namespace wasipool::runtime {

Result<Ok, engine::Error> init_table(TableInst& table, const ir::TableType& type, uint64_t init,
                                     const engine::Limits& limits) {
  // The store limit bounds host memory a guest can demand through table sizes.
  uint64_t cap = std::min<uint64_t>(limits.max_table_elements, UINT32_MAX);
  if (type.limits.min > cap) {
    return fail(engine::Error{engine::ErrorKind::Limit,
                              "table minimum of " + std::to_string(type.limits.min) +
                                  " elements exceeds the limit of " + std::to_string(cap)});
  }
  table.type = type;
  table.max = std::max<uint64_t>(std::min<uint64_t>(type.limits.max.value_or(UINT32_MAX), cap), type.limits.min);
  try {
    table.elems.assign(type.limits.min, init);
  } catch (const std::bad_alloc&) {
    return fail(engine::Error{engine::ErrorKind::Limit, "out of memory allocating a table"});
  }
  return Ok{};
}

int64_t TableInst::grow(uint64_t delta, uint64_t init) {
  uint64_t old = elems.size();
  if (delta > max - old) return -1;  // guest-controlled delta: compare, never add unchecked
  try {
    elems.resize(old + delta, init);
  } catch (const std::bad_alloc&) {
    return -1;  // the spec allows grow to fail for any reason; never let it escape into guest frames
  }
  type.limits.min = old + delta;
  return static_cast<int64_t>(old);
}

}  // namespace wasipool::runtime
