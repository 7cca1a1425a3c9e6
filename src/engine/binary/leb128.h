// LEB128 decoding with the binary format's exact limits (spec 5.2.2 "Integers"): an N-bit integer
// uses at most ceil(N/7) bytes, and the unused bits of the last byte must be zero (unsigned) or a
// sign extension (signed). Owned by the decoder; used by binary/reader.h and nothing else.
//
// Pure functions over [p, end): no allocation, no exceptions, never read at or past `end` — the
// bytes come from an untrusted module, so every byte access is checked against `end` first.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wasipool::binary {

enum class LebStatus : uint8_t {
  Ok,
  End,       // ran out of bytes
  TooLong,   // more than ceil(N/7) bytes: "integer representation too long"
  TooLarge,  // unused bits of the last byte not zero / not a sign extension: "integer too large"
};

// The order of checks follows the reference interpreter, so the reasons match the spec tests:
// the bits of a byte are checked before its continuation bit.
template <unsigned Bits>
inline LebStatus read_uleb(const uint8_t* p, const uint8_t* end, uint64_t& out, size_t& len) {
  static_assert(Bits > 0 && Bits <= 64);
  uint64_t result = 0;
  unsigned shift = 0;
  int remaining = static_cast<int>(Bits);
  for (size_t i = 0;; ++i) {
    if (remaining <= 0) return LebStatus::TooLong;
    if (p + i >= end) return LebStatus::End;
    const uint8_t b = p[i];
    if (remaining < 7 && (b & 0x7F) >= (1u << remaining)) return LebStatus::TooLarge;
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      out = result;
      len = i + 1;
      return LebStatus::Ok;
    }
    shift += 7;
    remaining -= 7;
  }
}

template <unsigned Bits>
inline LebStatus read_sleb(const uint8_t* p, const uint8_t* end, int64_t& out, size_t& len) {
  static_assert(Bits > 0 && Bits <= 64);
  uint64_t result = 0;
  unsigned shift = 0;
  int remaining = static_cast<int>(Bits);
  for (size_t i = 0;; ++i) {
    if (remaining <= 0) return LebStatus::TooLong;
    if (p + i >= end) return LebStatus::End;
    const uint8_t b = p[i];
    if (remaining < 7) {
      // Bits remaining-1 .. 6 of the last byte are the sign extension: all zero or all one.
      const uint8_t mask = static_cast<uint8_t>((0xFFu << (remaining - 1)) & 0x7Fu);
      if ((b & mask) != 0 && (b & mask) != mask) return LebStatus::TooLarge;
    }
    result |= static_cast<uint64_t>(b & 0x7F) << shift;
    shift += 7;
    remaining -= 7;
    if (!(b & 0x80)) {
      if (shift < 64 && (b & 0x40)) result |= ~uint64_t{0} << shift;
      out = static_cast<int64_t>(result);
      len = i + 1;
      return LebStatus::Ok;
    }
  }
}

inline const char* reason_of(LebStatus s) {
  switch (s) {
    case LebStatus::Ok: return "ok";
    case LebStatus::End: return "unexpected end";
    case LebStatus::TooLong: return "integer representation too long";
    case LebStatus::TooLarge: return "integer too large";
  }
  return "?";
}

}  // namespace wasipool::binary
