// Hand-written guest bindings for slight's interfaces, as wit-bindgen 0.2 lays them out for a core
// wasm32-wasi module (owner: slight). Imports are named <interface>.<resource>::<function>; a result with
// more than one flat value is written by the host into a return area whose address is the last
// argument: expected<T, E> = tag u8 @0 (0 ok, 1 err), ok payload @4 (a handle, or ptr/len @4/@8), err =
// variant tag u8 @4 with a string ptr/len @8/@12. Resources are i32 handles released through
// canonical_abi.resource_drop_<resource>. The host allocates what it hands over (strings, lists)
// with the guest's canonical_abi_realloc.
#ifndef SLIGHT_ABI_H
#define SLIGHT_ABI_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLIGHT_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

typedef struct { const char* ptr; uint32_t len; } slight_str;
typedef struct { slight_str name, value; } slight_pair;  // one element of list<tuple<string, string>>

// A return area: big enough for every result used here, aligned for its u32 fields.
typedef union { uint8_t tag; uint32_t w[4]; } slight_ret;

static inline uint32_t slight_ok(const slight_ret* r) { return r->tag == 0; }
static inline uint32_t slight_handle(const slight_ret* r) { return r->w[1]; }
static inline uint8_t slight_err_case(const slight_ret* r) { return (uint8_t)r->w[1]; }
static inline slight_str slight_err_text(const slight_ret* r) { return (slight_str){(const char*)(uintptr_t)r->w[2], r->w[3]}; }
static inline slight_str slight_payload(const slight_ret* r) { return (slight_str){(const char*)(uintptr_t)r->w[1], r->w[2]}; }

// http-server.wit
SLIGHT_IMPORT("http-server", "router::new") void slight_router_new(slight_ret* ret);
SLIGHT_IMPORT("http-server", "router::get")
void slight_router_get(uint32_t router, const char* route, uint32_t route_len, const char* handler, uint32_t handler_len, slight_ret* ret);
SLIGHT_IMPORT("http-server", "router::put")
void slight_router_put(uint32_t router, const char* route, uint32_t route_len, const char* handler, uint32_t handler_len, slight_ret* ret);
SLIGHT_IMPORT("http-server", "router::delete")
void slight_router_delete(uint32_t router, const char* route, uint32_t route_len, const char* handler, uint32_t handler_len, slight_ret* ret);
SLIGHT_IMPORT("http-server", "server::serve")
void slight_server_serve(const char* address, uint32_t address_len, uint32_t router, slight_ret* ret);
SLIGHT_IMPORT("canonical_abi", "resource_drop_router") void slight_drop_router(uint32_t handle);

// keyvalue.wit
SLIGHT_IMPORT("keyvalue", "keyvalue::open") void slight_kv_open(const char* name, uint32_t name_len, slight_ret* ret);
SLIGHT_IMPORT("keyvalue", "keyvalue::get")
void slight_kv_get(uint32_t kv, const char* key, uint32_t key_len, slight_ret* ret);
SLIGHT_IMPORT("keyvalue", "keyvalue::set")
void slight_kv_set(uint32_t kv, const char* key, uint32_t key_len, const void* value, uint32_t value_len, slight_ret* ret);
SLIGHT_IMPORT("keyvalue", "keyvalue::delete")
void slight_kv_delete(uint32_t kv, const char* key, uint32_t key_len, slight_ret* ret);
SLIGHT_IMPORT("canonical_abi", "resource_drop_keyvalue") void slight_drop_keyvalue(uint32_t handle);
enum { SLIGHT_KV_KEY_NOT_FOUND = 0 };

// configs.wit
SLIGHT_IMPORT("configs", "configs::open") void slight_configs_open(const char* name, uint32_t name_len, slight_ret* ret);
SLIGHT_IMPORT("configs", "configs::get")
void slight_configs_get(uint32_t configs, const char* key, uint32_t key_len, slight_ret* ret);
SLIGHT_IMPORT("canonical_abi", "resource_drop_configs") void slight_drop_configs(uint32_t handle);

// configs::open(name), get(key), drop: non-zero with the value in *r when the key is set; else *r holds
// the error.
static inline int slight_config_get(const char* name, const char* key, slight_ret* r) {
  slight_configs_open(name, (uint32_t)strlen(name), r);
  if (!slight_ok(r)) return 0;
  uint32_t cfg = slight_handle(r);
  slight_configs_get(cfg, key, (uint32_t)strlen(key), r);
  slight_drop_configs(cfg);
  return slight_ok(r);
}

// The allocator the host lowers strings and lists with.
#include "../canonical_abi_alloc.h"

// http-handler.wit: handle-http: func(req: request) -> expected<response, http-error>, exported under
// each handler's name with '_' -> '-'. The request comes flat (method, uri, headers, params, body
// option); the result is a pointer to: tag u8 @0; ok: status u16 @4, headers option (tag @8, ptr @12,
// len @16), body option (tag @20, ptr @24, len @28); err: http-error tag @4, string @8/@12.
#define SLIGHT_HANDLER(export, fn)                                                                            \
  static uint32_t* fn##_impl(uint32_t method, slight_str uri, const slight_pair* headers, uint32_t headers_len, \
                             const slight_pair* params, uint32_t params_len, slight_str body);                \
  __attribute__((export_name(export))) uint32_t* fn(uint32_t method, const char* uri, uint32_t uri_len,       \
                                                    const slight_pair* headers, uint32_t headers_len,         \
                                                    const slight_pair* params, uint32_t params_len,           \
                                                    uint32_t body_tag, const char* body, uint32_t body_len) { \
    slight_str b = {body_tag ? body : "", body_tag ? body_len : 0};                                          \
    return fn##_impl(method, (slight_str){uri, uri_len}, headers, headers_len, params, params_len, b);        \
  }                                                                                                           \
  static uint32_t* fn##_impl(uint32_t method, slight_str uri, const slight_pair* headers, uint32_t headers_len, \
                             const slight_pair* params, uint32_t params_len, slight_str body)

static uint32_t slight_response_area[8];

static inline uint32_t* slight_respond(uint16_t status, const slight_pair* headers, uint32_t headers_len,
                                       const char* body, uint32_t body_len) {
  uint32_t* r = slight_response_area;
  memset(r, 0, sizeof slight_response_area);
  *(uint16_t*)&r[1] = status;
  r[2] = headers != 0;
  r[3] = (uint32_t)(uintptr_t)headers;
  r[4] = headers_len;
  r[5] = body != 0;
  r[6] = (uint32_t)(uintptr_t)body;
  r[7] = body_len;
  return r;
}

// err(unexpected-error(text)): the host answers 500 with the text.
static inline uint32_t* slight_fail(const char* text, uint32_t len) {
  uint32_t* r = slight_response_area;
  memset(r, 0, sizeof slight_response_area);
  r[0] = 1;
  r[1] = 4;
  r[2] = (uint32_t)(uintptr_t)text;
  r[3] = len;
  return r;
}

#endif
