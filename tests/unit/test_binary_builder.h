// Test helper for the decoder and validator tests: builds small binary modules byte by byte, so a
// test states exactly the encoding it exercises (including encodings no assembler would produce).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace wasipool::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes uleb(uint64_t v) {
  Bytes b;
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    if (v) byte |= 0x80;
    b.push_back(byte);
  } while (v);
  return b;
}

inline Bytes sleb(int64_t v) {
  Bytes b;
  for (;;) {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    const bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    if (!done) byte |= 0x80;
    b.push_back(byte);
    if (done) return b;
  }
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes name(const std::string& s) {
  Bytes b = uleb(s.size());
  b.insert(b.end(), s.begin(), s.end());
  return b;
}

// A vector: count, then the concatenated items.
inline Bytes vec(std::initializer_list<Bytes> items) {
  Bytes out = uleb(items.size());
  for (const auto& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}

inline Bytes section(uint8_t id, const Bytes& content) {
  return cat({Bytes{id}, uleb(content.size()), content});
}

inline Bytes header() { return {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}; }

inline Bytes module(std::initializer_list<Bytes> sections) {
  Bytes out = header();
  for (const auto& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

inline Bytes functype(const Bytes& params, const Bytes& results) {
  return cat({Bytes{0x60}, uleb(params.size()), params, uleb(results.size()), results});
}

// A code-section entry: local declarations (already encoded as a vector) + body (incl. final end).
inline Bytes code_entry(const Bytes& locals, const Bytes& body) {
  Bytes content = cat({locals, body});
  return cat({uleb(content.size()), content});
}

// One function of type `ft` with `body` (which must include the final 0x0B), plus optional extra
// sections placed before (e.g. memory) and after (e.g. data) the code section, in order.
inline Bytes one_func(const Bytes& ft, const Bytes& body, const Bytes& locals = {0x00},
                      const Bytes& mid_sections = {}, const Bytes& tail_sections = {}) {
  Bytes out = cat({header(), section(1, cat({uleb(1), ft})), section(3, {0x01, 0x00}), mid_sections,
                   section(10, cat({uleb(1), code_entry(locals, body)})), tail_sections});
  return out;
}

constexpr uint8_t I32 = 0x7F, I64 = 0x7E, F32 = 0x7D, F64 = 0x7C, FUNCREF = 0x70, EXTERNREF = 0x6F;

}  // namespace wasipool::testing
