// Exact WebAssembly numeric semantics for the interpreter's handlers: float bit access (so NaN
// payloads survive moves), min/max with NaN and signed zeros, and float -> integer conversions with the
// spec's trap/saturation rules. Header-only so the handlers inline it.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace wasipool::interp::num {

inline float f32(uint64_t slot) {
  uint32_t b = static_cast<uint32_t>(slot);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline double f64(uint64_t slot) {
  double d;
  std::memcpy(&d, &slot, 8);
  return d;
}
inline uint64_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
inline uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

// min/max: any NaN operand gives a NaN (a + b propagates it as an arithmetic NaN); -0 < +0.
template <class F>
inline F fmin(F a, F b) {
  if (a != a || b != b) return a + b;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <class F>
inline F fmax(F a, F b) {
  if (a != a || b != b) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// Rounding: libm may hand a signalling NaN back unchanged; wasm wants an arithmetic (quiet) NaN.
template <class F>
inline F fceil(F a) { return a != a ? a + a : std::ceil(a); }
template <class F>
inline F ffloor(F a) { return a != a ? a + a : std::floor(a); }
template <class F>
inline F ftrunc(F a) { return a != a ? a + a : std::trunc(a); }
template <class F>
inline F fnearest(F a) { return a != a ? a + a : std::nearbyint(a); }  // ties to even (default mode)

// Truncation to integer. Inputs are widened to double, which is exact for f32 and f64, so the range
// tests below are exact. Returns 0 on success, 1 for NaN (invalid conversion), 2 for out of range
// (integer overflow).
inline int trunc_i32_s(double d, uint32_t& out) {
  if (d != d) return 1;
  if (!(d > -2147483649.0 && d < 2147483648.0)) return 2;
  out = static_cast<uint32_t>(static_cast<int32_t>(d));
  return 0;
}
inline int trunc_i32_u(double d, uint32_t& out) {
  if (d != d) return 1;
  if (!(d > -1.0 && d < 4294967296.0)) return 2;
  out = static_cast<uint32_t>(static_cast<int64_t>(d));
  return 0;
}
inline int trunc_i64_s(double d, uint64_t& out) {
  if (d != d) return 1;
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return 2;
  out = static_cast<uint64_t>(static_cast<int64_t>(d));
  return 0;
}
inline int trunc_i64_u(double d, uint64_t& out) {
  if (d != d) return 1;
  if (!(d > -1.0 && d < 18446744073709551616.0)) return 2;
  out = d < 1.0 ? 0 : static_cast<uint64_t>(d);
  return 0;
}

// Saturating truncation: NaN -> 0, out of range -> the nearest bound.
inline uint32_t sat_i32_s(double d) {
  if (d != d) return 0;
  if (d <= -2147483648.0) return 0x80000000u;
  if (d >= 2147483647.0) return 0x7FFFFFFFu;
  return static_cast<uint32_t>(static_cast<int32_t>(d));
}
inline uint32_t sat_i32_u(double d) {
  if (d != d || d <= 0.0) return 0;
  if (d >= 4294967295.0) return 0xFFFFFFFFu;
  return static_cast<uint32_t>(static_cast<int64_t>(d));
}
inline uint64_t sat_i64_s(double d) {
  if (d != d) return 0;
  if (d <= -9223372036854775808.0) return 0x8000000000000000ull;
  if (d >= 9223372036854775808.0) return 0x7FFFFFFFFFFFFFFFull;
  return static_cast<uint64_t>(static_cast<int64_t>(d));
}
inline uint64_t sat_i64_u(double d) {
  if (d != d || d <= 0.0) return 0;
  if (d >= 18446744073709551616.0) return 0xFFFFFFFFFFFFFFFFull;
  return d < 1.0 ? 0 : static_cast<uint64_t>(d);
}

}  // namespace wasipool::interp::num
