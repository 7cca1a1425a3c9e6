// The "name" custom section (see name_section.h). Every read is bounds-checked by ByteReader, and
// subsection sizes are checked against what was actually consumed.
#include "name_section.h"

#include <string>

#include "reader.h"
#include "utf8.h"

namespace wasipool::binary {

std::optional<ir::Names> decode_name_section(std::span<const uint8_t> contents, uint32_t base) {
  ir::Names names;
  ByteReader r(contents, base, "unexpected end of section or function");
  auto name = [&](std::string& out) {
    uint32_t len;
    std::span<const uint8_t> bytes;
    if (!r.u32(len) || !r.bytes(len, bytes)) return false;
    if (!is_valid_utf8(bytes.data(), bytes.size())) return false;
    out.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return true;
  };
  auto name_map = [&](std::map<uint32_t, std::string>& out, const uint8_t* end) {
    uint32_t n;
    if (!r.u32(n)) return false;
    for (uint32_t i = 0; i < n; ++i) {
      if (r.cursor() >= end) return false;
      uint32_t idx;
      std::string s;
      if (!r.u32(idx) || !name(s)) return false;
      out[idx] = std::move(s);
    }
    return true;
  };
  while (!r.at_end()) {
    uint8_t id;
    uint32_t size;
    if (!r.u8(id) || !r.u32(size) || size > r.remaining()) return std::nullopt;
    const uint8_t* end = r.cursor() + size;
    const size_t before = r.remaining();
    bool ok = true;
    if (id == 0) {
      std::string s;
      ok = name(s);
      if (ok) names.module = std::move(s);
    } else if (id == 1) {
      ok = name_map(names.functions, end);
    } else if (id == 2) {
      uint32_t n;
      ok = r.u32(n);
      for (uint32_t i = 0; ok && i < n; ++i) {
        uint32_t func;
        ok = r.cursor() < end && r.u32(func) && name_map(names.locals[func], end);
      }
    } else {
      ok = r.skip(size);
    }
    if (!ok || before - r.remaining() != size) return std::nullopt;
  }
  return names;
}

}  // namespace wasipool::binary
