// GuestMemory and the shared wit-bindgen 0.2 lowering helpers (see canonical_abi.h).
#include "canonical_abi.h"

#include <strings.h>

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

std::optional<std::string> guest_string(engine::Caller& caller, uint32_t ptr, uint32_t len) {
  auto b = caller.memory().bytes(ptr, len);
  if (!b) return std::nullopt;
  return std::string(b->begin(), b->end());
}

engine::HostResult write_err(engine::Caller& caller, uint32_t ret, uint8_t tag, const std::string* msg) {
  auto mem = caller.memory();
  if (!mem.store<uint8_t>(ret, 1) || !mem.store<uint8_t>(ret + 4ull, tag))
    return engine::Trap::host("return area out of bounds");
  if (msg) {
    GuestMemory g(caller.store(), caller.instance());
    auto s = g.put_string(*msg);
    if (!s) return engine::Trap::host("cannot return an error string: " + g.last_error());
    if (!mem.store<uint32_t>(ret + 8ull, s->ptr) || !mem.store<uint32_t>(ret + 12ull, s->len))
      return engine::Trap::host("return area out of bounds");
  }
  return std::nullopt;
}

engine::HostResult write_ok_unit(engine::Caller& caller, uint32_t ret) {
  return caller.memory().store<uint8_t>(ret, 0) ? engine::HostResult() : engine::Trap::host("return area out of bounds");
}

engine::HostResult write_ok_u32(engine::Caller& caller, uint32_t ret, uint32_t value) {
  auto mem = caller.memory();
  if (!mem.store<uint8_t>(ret, 0) || !mem.store<uint32_t>(ret + 4ull, value))
    return engine::Trap::host("return area out of bounds");
  return std::nullopt;
}

engine::HostResult write_ok_slice(engine::Caller& caller, uint32_t ret, GuestSlice s) {
  auto mem = caller.memory();
  if (!mem.store<uint8_t>(ret, 0) || !mem.store<uint32_t>(ret + 4ull, s.ptr) || !mem.store<uint32_t>(ret + 8ull, s.len))
    return engine::Trap::host("return area out of bounds");
  return std::nullopt;
}

std::optional<uint32_t> http_method_index(const std::string& method) {
  for (uint32_t i = 0; i < 7; ++i)
    if (method == kHttpMethods[i]) return i;
  return std::nullopt;
}

Result<std::vector<engine::Value>, std::string> lower_http_request(GuestMemory& g, uint32_t method,
                                                                   const std::string& uri,
                                                                   const HeaderPairs& headers,
                                                                   const HeaderPairs& params,
                                                                   const std::string* body) {
  auto u = g.put_string(uri);
  auto h = g.put_pairs(headers);
  auto p = g.put_pairs(params);
  if (!u || !h || !p) return fail("cannot lower the request: " + g.last_error());
  GuestSlice b{0, 0};
  if (body) {
    auto bs = g.put_bytes(*body, 1);
    if (!bs) return fail("cannot lower the request body: " + g.last_error());
    b = *bs;
  }
  return std::vector<engine::Value>{
      engine::Value::i32(method), engine::Value::i32(u->ptr), engine::Value::i32(u->len),
      engine::Value::i32(h->ptr), engine::Value::i32(h->len), engine::Value::i32(p->ptr),
      engine::Value::i32(p->len), engine::Value::i32(body ? 1 : 0), engine::Value::i32(b.ptr),
      engine::Value::i32(b.len)};
}

namespace {
// A guest can name at most this many response headers: the list length is guest-controlled, and each
// element costs host allocations.
constexpr uint32_t kMaxResponseHeaders = 10'000;
}  // namespace

Result<http::Response, std::string> lift_http_response(const engine::MemoryView& mem, uint64_t at) {
  auto status = mem.load<uint16_t>(at);
  auto htag = mem.load<uint8_t>(at + 4), btag = mem.load<uint8_t>(at + 16);
  auto hptr = mem.load<uint32_t>(at + 8), hlen = mem.load<uint32_t>(at + 12);
  auto bptr = mem.load<uint32_t>(at + 20), blen = mem.load<uint32_t>(at + 24);
  if (!status || !htag || !btag || !hptr || !hlen || !bptr || !blen)
    return fail(std::string("the response record lies outside guest memory"));
  http::Response resp;
  // A status outside 100..600 is the guest's bug (Spin answers it with 500).
  if (*status < 100 || *status > 600) return fail("invalid status " + std::to_string(*status));
  resp.status = *status;
  if (*htag == 1) {
    if (*hlen > kMaxResponseHeaders) return fail(std::string("too many response headers"));
    for (uint32_t i = 0; i < *hlen; ++i) {
      uint64_t e = *hptr + 16ull * i;
      auto np = mem.load<uint32_t>(e), nl = mem.load<uint32_t>(e + 4), vp = mem.load<uint32_t>(e + 8),
           vl = mem.load<uint32_t>(e + 12);
      if (!np || !nl || !vp || !vl) return fail(std::string("response headers lie outside guest memory"));
      auto n = mem.bytes(*np, *nl), v = mem.bytes(*vp, *vl);
      if (!n || !v) return fail(std::string("a response header lies outside guest memory"));
      std::string name(n->begin(), n->end()), value(v->begin(), v->end());
      bool replaced = false;
      for (auto& hd : resp.headers)
        if (strcasecmp(hd.name.c_str(), name.c_str()) == 0) hd.value = value, replaced = true;
      if (!replaced) resp.headers.push_back({std::move(name), std::move(value)});
    }
  } else if (*htag != 0) {
    return fail(std::string("invalid option tag in the response headers"));
  }
  if (*btag == 1) {
    auto b = mem.bytes(*bptr, *blen);
    if (!b) return fail(std::string("the response body lies outside guest memory"));
    resp.body.assign(b->begin(), b->end());
  } else if (*btag != 0) {
    return fail(std::string("invalid option tag in the response body"));
  }
  return resp;
}

Result<Ok, std::string> write_http_response(GuestMemory& g, uint64_t at, const http::Response& resp) {
  HeaderPairs hs;
  for (const auto& h : resp.headers) hs.emplace_back(h.name, h.value);
  auto hl = g.put_pairs(hs);
  auto bl = g.put_bytes(resp.body, 1);
  if (!hl || !bl) return fail(g.last_error());
  auto mem = g.view();
  if (!mem.store<uint16_t>(at, resp.status) || !mem.store<uint8_t>(at + 4, 1) || !mem.store<uint32_t>(at + 8, hl->ptr) ||
      !mem.store<uint32_t>(at + 12, hl->len) || !mem.store<uint8_t>(at + 16, 1) ||
      !mem.store<uint32_t>(at + 20, bl->ptr) || !mem.store<uint32_t>(at + 24, bl->len))
    return fail(std::string("return area out of bounds"));
  return Ok{};
}

Result<GuestHttpRequest, std::string> lift_http_request_args(engine::Caller& caller, std::span<const uint64_t> args,
                                                             size_t first) {
  auto a = [&](size_t i) { return static_cast<uint32_t>(args[first + i]); };
  GuestHttpRequest out;
  out.method = a(0);
  auto uri = guest_string(caller, a(1), a(2));
  if (!uri) return fail(std::string("uri out of bounds"));
  out.uri = std::move(*uri);
  auto mem = caller.memory();
  // Guest-given list length: 16 bytes per element, every element checked before use.
  for (uint32_t i = 0; i < a(4); ++i) {
    uint64_t e = a(3) + 16ull * i;
    auto np = mem.load<uint32_t>(e), nl = mem.load<uint32_t>(e + 4), vp = mem.load<uint32_t>(e + 8),
         vl = mem.load<uint32_t>(e + 12);
    if (!np || !nl || !vp || !vl) return fail(std::string("headers out of bounds"));
    auto name = guest_string(caller, *np, *nl), value = guest_string(caller, *vp, *vl);
    if (!name || !value) return fail(std::string("header out of bounds"));
    out.headers.emplace_back(std::move(*name), std::move(*value));
  }
  if (a(7) == 1) {
    auto body = guest_string(caller, a(8), a(9));
    if (!body) return fail(std::string("body out of bounds"));
    out.body = std::move(*body);
  }
  return out;
}

}  // namespace wasipool::spin
