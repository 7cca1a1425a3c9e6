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

#include "http/server.h"
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

// ---- wit-bindgen 0.2 results written into a guest-provided return area (imports with a retptr) ----
// expected<T, E>: tag u8 at +0 (0 ok, 1 err); the ok payload at +4 (a u32 handle, or ptr/len at +4/+8);
// an err that is a variant: its tag u8 at +4 and a string payload at +8/+12. Shared by the Spin 1.x
// imports and slight's capabilities (both wit-bindgen 0.2 hosts). Each traps only when the return
// area itself lies outside guest memory (nothing sensible can be answered then).
std::optional<std::string> guest_string(engine::Caller& caller, uint32_t ptr, uint32_t len);
engine::HostResult write_err(engine::Caller& caller, uint32_t ret, uint8_t tag, const std::string* msg = nullptr);
engine::HostResult write_ok_unit(engine::Caller& caller, uint32_t ret);
engine::HostResult write_ok_u32(engine::Caller& caller, uint32_t ret, uint32_t value);
engine::HostResult write_ok_slice(engine::Caller& caller, uint32_t ret, GuestSlice s);

// ---- the http-types records (Spin 1.x inbound/outbound http == slight http-handler/http-client) ----
// request = {method enum(get,post,put,delete,patch,head,options), uri string, headers list<tuple<string,
// string>>, params list<tuple<string,string>>, body option<list<u8>>}, flattened to 10 i32.
// response = {status u16 @0, headers option @4 (tag u8, ptr @8, len @12), body option @16 (tag, @20, @24)}.
using HeaderPairs = std::vector<std::pair<std::string, std::string>>;
constexpr const char* kHttpMethods[7] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
// Index of `method` in kHttpMethods; nullopt for any other method.
std::optional<uint32_t> http_method_index(const std::string& method);

// Writes the request into guest memory (through the guest's allocator) and returns the 10 flat args.
// Error: why (allocation failed or trapped).
Result<std::vector<engine::Value>, std::string> lower_http_request(GuestMemory& g, uint32_t method,
                                                                   const std::string& uri,
                                                                   const HeaderPairs& headers,
                                                                   const HeaderPairs& params,
                                                                   const std::string* body);
// Reads a response record at guest address `at`. Headers repeated by name: the last one wins (both
// hosts insert into a header map). Error: what is malformed or out of bounds.
Result<http::Response, std::string> lift_http_response(const engine::MemoryView& mem, uint64_t at);
// Writes `resp` as a response record at guest address `at` (lists allocated through the guest).
Result<Ok, std::string> write_http_response(GuestMemory& g, uint64_t at, const http::Response& resp);

// A request record passed flat by a guest to an import (10 i32 starting at args[first]).
struct GuestHttpRequest {
  uint32_t method = 0;
  std::string uri;
  HeaderPairs headers;
  std::optional<std::string> body;
};
Result<GuestHttpRequest, std::string> lift_http_request_args(engine::Caller& caller, std::span<const uint64_t> args,
                                                             size_t first);

}  // namespace wasipool::spin
