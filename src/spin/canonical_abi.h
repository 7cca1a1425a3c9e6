// Host side of the old (wit-bindgen 0.2) canonical ABI: values the host hands to a guest are written
// into memory the guest allocates itself with `canonical_abi_realloc(old_ptr, old_len, align, new_len)`.
// Everything is bounds-checked through engine::MemoryView; a guest that returns a bogus allocation
// makes the call fail, never the host write out of bounds.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wasipool/engine.h"

namespace wasipool::spin {

struct GuestSlice {
  uint32_t ptr = 0, len = 0;
};

class GuestMemory {
 public:
  GuestMemory(engine::Store& store, engine::Instance* instance);
  bool ok() const { return mem_.valid() && realloc_.has_value(); }
  engine::MemoryView view() const { return mem_; }
  const std::string& last_error() const { return error_; }

  std::optional<uint32_t> alloc(uint32_t size, uint32_t align);
  std::optional<GuestSlice> put_bytes(std::string_view data, uint32_t align);
  std::optional<GuestSlice> put_string(std::string_view s) { return put_bytes(s, 1); }
  // list<tuple<string, string>>: 16-byte elements (name ptr, name len, value ptr, value len).
  std::optional<GuestSlice> put_pairs(const std::vector<std::pair<std::string, std::string>>& pairs);
  // list<string>: 8-byte elements (ptr, len).
  std::optional<GuestSlice> put_strings(const std::vector<std::string>& items);
  // Copies a guest string out (the guest may change its memory later).
  std::optional<std::string> get_string(uint32_t ptr, uint32_t len) const;

 private:
  engine::Store& store_;
  engine::MemoryView mem_;
  std::optional<engine::Func> realloc_;
  std::string error_;
};

}  // namespace wasipool::spin
