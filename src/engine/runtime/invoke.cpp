// The host -> guest call boundary below Store::call and the start function. This is the tier seam:
// a FuncInst with code runs in the execution tier that compiled it (today only the interpreter); a
// FuncInst with a host function is called directly. No C++ exception may cross guest frames, so a
// throwing host function is turned into a Host trap here and in the tiers' own host-call paths.
#include <algorithm>
#include <vector>

#include "../interp/interp.h"
#include "runtime.h"

namespace wasipool::runtime {

std::optional<engine::Trap> invoke(StoreState& store, FuncInst* f, uint64_t* slots, engine::Instance* caller) {
  if (f->code) return interp::invoke(store, f, slots);
  const ir::FuncType& type = *f->type;
  engine::Caller c(store.owner, caller);
  // Arguments get their own copy: a host function may write results before it has read every
  // argument, and both share `slots`.
  size_t np = type.params.size();
  uint64_t small[16];
  std::vector<uint64_t> big;
  uint64_t* args = small;
  if (np > 16) {
    big.assign(slots, slots + np);
    args = big.data();
  } else {
    std::copy(slots, slots + np, small);
  }
  try {
    return (*f->host)(c, std::span<const uint64_t>(args, np), std::span<uint64_t>(slots, type.results.size()));
  } catch (const std::exception& e) {
    return engine::Trap::host(std::string("host function threw: ") + e.what());
  } catch (...) {
    return engine::Trap::host("host function threw");
  }
}

}  // namespace wasipool::runtime
