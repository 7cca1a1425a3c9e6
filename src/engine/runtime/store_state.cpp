// StoreState: the runtime side of a Store.
#include "runtime.h"

namespace wasipool::runtime {

StoreState::StoreState(engine::Store& owner_, const EngineState& engine_) : owner(owner_), engine(engine_) {
  exec.max_call_depth = engine_.config().limits.max_call_depth;
}

}  // namespace wasipool::runtime
