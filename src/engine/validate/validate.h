// Validator: the spec's validation algorithm over a decoded module (types of every instruction, index
// bounds, constant expressions, limits, exports, start function, declared function references).
#pragma once
#include "../api/wasipool/engine.h"
#include "../ir/module.h"

namespace wasipool::validate {

// ErrorKind::Invalid with a message naming function index, byte offset and reason, e.g.
// "type mismatch in function 12 at offset 0x1a3: expected i32, got f64". Reasons are worded as the spec
// tests word them ("type mismatch", "unknown local", "unknown label", "alignment must not be larger than
// natural", "constant expression required", "undeclared function reference", ...).
// With `constants`, also fills it (ir::ConstantTable) for every defined function when the module is valid.
Result<Ok, engine::Error> validate(const ir::Module& module, ir::ConstantTable* constants = nullptr);

}  // namespace wasipool::validate
