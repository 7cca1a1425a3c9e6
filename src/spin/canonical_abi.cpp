// GuestMemory (see canonical_abi.h).
#include "canonical_abi.h"

namespace wasipool::spin {

GuestMemory::GuestMemory(engine::Store& store, engine::Instance* instance) : store_(store) {
  if (!instance) return;
  if (auto m = instance->get_memory("memory")) mem_ = store.memory_view(*m);
  realloc_ = instance->get_func("canonical_abi_realloc");
}

std::optional<uint32_t> GuestMemory::alloc(uint32_t size, uint32_t align) {
  if (!ok()) {
    error_ = "the module must export 'memory' and 'canonical_abi_realloc'";
    return std::nullopt;
  }
  if (size == 0) return align;  // an empty list needs no memory, only an aligned non-null pointer
  engine::Value args[4] = {engine::Value::i32(0), engine::Value::i32(0), engine::Value::i32(align),
                           engine::Value::i32(size)};
  auto r = store_.call(*realloc_, args);
  if (!r.ok()) {
    error_ = "canonical_abi_realloc trapped: " + (r.error().message.empty() ? std::string(engine::default_message(r.error().kind)) : r.error().message);
    return std::nullopt;
  }
  if (r->size() != 1) {
    error_ = "canonical_abi_realloc must return one i32";
    return std::nullopt;
  }
  uint32_t p = (*r)[0].as_u32();
  // The block must lie inside memory: the guest's allocator is as untrusted as the rest of it.
  if (!mem_.bytes(p, size)) {
    error_ = "canonical_abi_realloc returned memory out of bounds";
    return std::nullopt;
  }
  return p;
}

std::optional<GuestSlice> GuestMemory::put_bytes(std::string_view data, uint32_t align) {
  if (data.size() > UINT32_MAX) return std::nullopt;
  auto p = alloc(static_cast<uint32_t>(data.size()), align);
  if (!p) return std::nullopt;
  if (!data.empty() && !mem_.write(*p, data.data(), data.size())) return std::nullopt;
  return GuestSlice{*p, static_cast<uint32_t>(data.size())};
}

std::optional<GuestSlice> GuestMemory::put_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<uint32_t> words;
  for (const auto& [k, v] : pairs) {
    auto a = put_string(k);
    auto b = put_string(v);
    if (!a || !b) return std::nullopt;
    words.insert(words.end(), {a->ptr, a->len, b->ptr, b->len});
  }
  auto p = alloc(static_cast<uint32_t>(words.size() * 4), 4);
  if (!p) return std::nullopt;
  if (!words.empty() && !mem_.write(*p, words.data(), words.size() * 4)) return std::nullopt;
  return GuestSlice{*p, static_cast<uint32_t>(pairs.size())};
}

std::optional<GuestSlice> GuestMemory::put_strings(const std::vector<std::string>& items) {
  std::vector<uint32_t> words;
  for (const auto& s : items) {
    auto a = put_string(s);
    if (!a) return std::nullopt;
    words.insert(words.end(), {a->ptr, a->len});
  }
  auto p = alloc(static_cast<uint32_t>(words.size() * 4), 4);
  if (!p) return std::nullopt;
  if (!words.empty() && !mem_.write(*p, words.data(), words.size() * 4)) return std::nullopt;
  return GuestSlice{*p, static_cast<uint32_t>(items.size())};
}

std::optional<std::string> GuestMemory::get_string(uint32_t ptr, uint32_t len) const {
  auto b = mem_.bytes(ptr, len);
  if (!b) return std::nullopt;
  return std::string(b->begin(), b->end());
}

}  // namespace wasipool::spin
