// Decoder: the binary format -> ir::Module. Checks everything the binary grammar says (magic, version,
// section order and sizes, LEB128 limits, UTF-8 names, counts, reserved bytes) and nothing about types.
#pragma once
#include <cstdint>
#include <memory>
#include <span>

#include "../api/wasipool/engine.h"
#include "../ir/module.h"

namespace wasipool::binary {

// Errors: ErrorKind::Malformed ("<reason> at offset 0x<hex>", reasons worded as the spec tests word them,
// e.g. "magic header not detected", "unexpected end", "integer too large") or ErrorKind::Unsupported
// ("unsupported feature: <proposal> at offset 0x<hex>").
// Copies `bytes` first, so the caller's buffer may go away.
Result<ir::Module, engine::Error> decode(std::span<const uint8_t> bytes);
// Decodes in place: the Module points into `bytes` and holds `owner`, which must keep them alive.
Result<ir::Module, engine::Error> decode_shared(std::shared_ptr<const void> owner, std::span<const uint8_t> bytes);

}  // namespace wasipool::binary
