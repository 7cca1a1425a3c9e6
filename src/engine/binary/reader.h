// ByteReader: a bounds-checked cursor over a slice of the module, shared by the section decoder and the
// instruction reader. Reads return bool and remember the first failure (reason + module offset), so
// the hot path builds no strings; the caller turns the failure into an engine::Error once.
// Owned by the decoder (binary/). Not thread-safe (one cursor per walk); the bytes are borrowed.
// Trivially cheap to construct: the instruction reader makes one per instruction.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "../api/wasipool/engine.h"
#include "leb128.h"

namespace wasipool::binary {

inline engine::Error make_error(engine::ErrorKind kind, const char* reason, uint32_t offset) {
  char where[32];
  std::snprintf(where, sizeof where, " at offset 0x%x", offset);
  return engine::Error{kind, std::string(reason) + where};
}
inline engine::Error malformed(const char* reason, uint32_t offset) {
  return make_error(engine::ErrorKind::Malformed, reason, offset);
}

class ByteReader {
 public:
  // `base` is the module offset of data[0]; `end_reason` is what running out means here ("unexpected
  // end" for the module, "unexpected end of section or function" inside a sized section or body).
  ByteReader(std::span<const uint8_t> data, uint32_t base, const char* end_reason = "unexpected end")
      : p_(data.data()), begin_(data.data()), end_(data.data() + data.size()), base_(base),
        end_reason_(end_reason) {}
  ByteReader(const ByteReader&) = delete;  // reason_ may point into buf_
  ByteReader& operator=(const ByteReader&) = delete;

  bool at_end() const { return p_ >= end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  size_t pos() const { return static_cast<size_t>(p_ - begin_); }
  uint32_t offset() const { return base_ + static_cast<uint32_t>(p_ - begin_); }
  const uint8_t* cursor() const { return p_; }

  bool u8(uint8_t& out) {
    if (p_ >= end_) return fail(end_reason_);
    out = *p_++;
    return true;
  }
  bool peek(uint8_t& out) const {
    if (p_ >= end_) return false;
    out = *p_;
    return true;
  }

  bool u32(uint32_t& out) {
    // Fast path: most indices and counts fit in one byte.
    if (p_ < end_ && !(*p_ & 0x80)) {
      out = *p_++;
      return true;
    }
    uint64_t v;
    if (!uleb<32>(v)) return false;
    out = static_cast<uint32_t>(v);
    return true;
  }
  bool u64(uint64_t& out) { return uleb<64>(out); }
  bool s32(int32_t& out) { int64_t v; if (!sleb<32>(v)) return false; out = static_cast<int32_t>(v); return true; }
  bool s33(int64_t& out) { return sleb<33>(out); }
  bool s64(int64_t& out) { return sleb<64>(out); }

  // Little-endian fixed-width (float bit patterns).
  bool fixed32(uint32_t& out) {
    if (remaining() < 4) return fail(end_reason_);
    out = uint32_t{p_[0]} | uint32_t{p_[1]} << 8 | uint32_t{p_[2]} << 16 | uint32_t{p_[3]} << 24;
    p_ += 4;
    return true;
  }
  bool fixed64(uint64_t& out) {
    if (remaining() < 8) return fail(end_reason_);
    out = 0;
    for (int i = 7; i >= 0; --i) out = out << 8 | p_[i];
    p_ += 8;
    return true;
  }

  // `n` bytes as a span into the module; fails (without moving) when fewer remain.
  bool bytes(size_t n, std::span<const uint8_t>& out) {
    if (n > remaining()) return fail(end_reason_);
    out = {p_, n};
    p_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (n > remaining()) return fail(end_reason_);
    p_ += n;
    return true;
  }

  // Record a failure at the current offset (or a given one). Always returns false, for `return fail(..)`.
  bool fail(const char* reason) { return fail_at(reason, offset()); }
  bool fail_at(const char* reason, uint32_t at, engine::ErrorKind kind = engine::ErrorKind::Malformed) {
    reason_ = reason;
    err_offset_ = at;
    kind_ = kind;
    return false;
  }
  // Failure with a formatted reason (e.g. the opcode byte), kept in the reader's own buffer.
  template <class... Args>
  bool fail_fmt(uint32_t at, engine::ErrorKind kind, const char* fmt, Args... args) {
    std::snprintf(buf_, sizeof buf_, fmt, args...);
    return fail_at(buf_, at, kind);
  }

  engine::Error error() const { return make_error(kind_, reason_, err_offset_); }
  const char* reason() const { return reason_; }

 private:
  template <unsigned Bits>
  bool uleb(uint64_t& out) {
    size_t len = 0;
    LebStatus s = read_uleb<Bits>(p_, end_, out, len);
    if (s != LebStatus::Ok) return leb_fail(s);
    p_ += len;
    return true;
  }
  template <unsigned Bits>
  bool sleb(int64_t& out) {
    size_t len = 0;
    LebStatus s = read_sleb<Bits>(p_, end_, out, len);
    if (s != LebStatus::Ok) return leb_fail(s);
    p_ += len;
    return true;
  }
  bool leb_fail(LebStatus s) { return fail(s == LebStatus::End ? end_reason_ : reason_of(s)); }

  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  uint32_t base_;
  const char* end_reason_;
  // Failure state: written by fail_at() before error() may be called, deliberately not initialised
  // here because a reader is constructed for every instruction.
  const char* reason_;
  uint32_t err_offset_;
  engine::ErrorKind kind_;
  char buf_[80];
};

}  // namespace wasipool::binary
