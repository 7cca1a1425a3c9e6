// Body grammar check: the part of decoding that the decoder defers (function bodies stay byte ranges
// until the validator walks them). The validator calls this only on its error path, so that a module
// which is both malformed and invalid is reported as malformed, as the spec's decode-then-validate
// order requires — whichever function the problems are in. Owned by the decoder.
#pragma once
#include <optional>

#include "../api/wasipool/engine.h"
#include "../ir/module.h"

namespace wasipool::binary {

// The first encoding error in the function bodies (in order), or nullopt if every body is well formed:
// instruction encodings, block structure (`else` only in `if`, an `end` for every block) and a body
// ending exactly at its declared size. (The data count rule for memory.init / data.drop stays with the
// validator, which reports an unknown segment index first — what the spec tests expect.)
std::optional<engine::Error> scan_bodies(const ir::Module& module);

}  // namespace wasipool::binary
