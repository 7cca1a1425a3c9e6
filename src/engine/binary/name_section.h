// The "name" custom section (spec 7.4): module, function and local names for diagnostics and
// backtraces. Advisory: the caller drops a malformed one without failing the module. Owned by the
// decoder.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "../ir/module.h"

namespace wasipool::binary {

// `contents` are the section's bytes after its name; `base` their module offset. nullopt when any
// subsection is malformed (then no names are kept at all, rather than a partial set).
std::optional<ir::Names> decode_name_section(std::span<const uint8_t> contents, uint32_t base);

}  // namespace wasipool::binary
