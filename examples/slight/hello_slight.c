// The seed's hello-slight app, written by hand against slight's wit-bindgen 0.2 ABI (owner: slight):
//   GET    /hello         -> 200 "hello", the request headers echoed back as response headers
//   GET    /foo           -> the value of "key" in keyvalue store "my-container" (404 when unset)
//   PUT    /bar           -> stores the request body under "key"
//   DELETE /bar           -> deletes "key"
//   GET    /config        -> the configs value HELLO_SLIGHT_MESSAGE (configs.envvars: the environment)
//   GET    /params/:name  -> the path parameter
// It serves where HELLO_SLIGHT_ADDRESS (read through the configs capability) says, else on 0.0.0.0:80
// like the seed's image.
//
// Two lifecycles from one source: by default a WASI command whose main builds the router and calls
// server::serve (slight v0.3.x apps); with -DSLIGHT_ON_SERVER_INIT a reactor exporting on-server-init,
// which the host calls instead (slight v0.5 apps).
#include <stdio.h>

#include "slight_abi.h"

static const char kStore[] = "my-container", kKey[] = "key";

static uint32_t open_store(slight_ret* r) {
  slight_kv_open(kStore, sizeof kStore - 1, r);
  return slight_ok(r) ? slight_handle(r) : 0;
}

SLIGHT_HANDLER("handle-hello", handle_hello) {
  static const char kBody[] = "hello";
  return slight_respond(200, headers, headers_len, kBody, sizeof kBody - 1);
}

SLIGHT_HANDLER("handle-foo", handle_foo) {
  slight_ret r;
  uint32_t kv = open_store(&r);
  if (!kv) return slight_fail(slight_err_text(&r).ptr, slight_err_text(&r).len);
  slight_kv_get(kv, kKey, sizeof kKey - 1, &r);
  slight_drop_keyvalue(kv);
  if (slight_ok(&r)) return slight_respond(200, 0, 0, slight_payload(&r).ptr, slight_payload(&r).len);
  if (slight_err_case(&r) == SLIGHT_KV_KEY_NOT_FOUND) {
    static const char kMissing[] = "key not found";
    return slight_respond(404, 0, 0, kMissing, sizeof kMissing - 1);
  }
  return slight_fail(slight_err_text(&r).ptr, slight_err_text(&r).len);
}

SLIGHT_HANDLER("handle-bar", handle_bar) {
  slight_ret r;
  uint32_t kv = open_store(&r);
  if (!kv) return slight_fail(slight_err_text(&r).ptr, slight_err_text(&r).len);
  slight_kv_set(kv, kKey, sizeof kKey - 1, body.ptr, body.len, &r);
  slight_drop_keyvalue(kv);
  if (!slight_ok(&r)) return slight_fail(slight_err_text(&r).ptr, slight_err_text(&r).len);
  return slight_respond(200, 0, 0, 0, 0);
}

SLIGHT_HANDLER("handle-delete-bar", handle_delete_bar) {
  slight_ret r;
  uint32_t kv = open_store(&r);
  if (!kv) return slight_fail(slight_err_text(&r).ptr, slight_err_text(&r).len);
  slight_kv_delete(kv, kKey, sizeof kKey - 1, &r);
  slight_drop_keyvalue(kv);
  if (!slight_ok(&r)) return slight_respond(404, 0, 0, slight_err_text(&r).ptr, slight_err_text(&r).len);
  return slight_respond(200, 0, 0, 0, 0);
}

// configs.envvars: get(key) reads the host's environment. Any name opens the 0.1 capability.
static int config_get(const char* key, slight_ret* r) { return slight_config_get("my-config", key, r); }

SLIGHT_HANDLER("handle-config", handle_config) {
  slight_ret r;
  if (!config_get("HELLO_SLIGHT_MESSAGE", &r)) return slight_respond(404, 0, 0, slight_err_text(&r).ptr, slight_err_text(&r).len);
  return slight_respond(200, 0, 0, slight_payload(&r).ptr, slight_payload(&r).len);
}

SLIGHT_HANDLER("handle-params", handle_params) {
  for (uint32_t i = 0; i < params_len; ++i)
    if (params[i].name.len == 4 && memcmp(params[i].name.ptr, "name", 4) == 0)
      return slight_respond(200, 0, 0, params[i].value.ptr, params[i].value.len);
  return slight_respond(404, 0, 0, 0, 0);
}

struct route { void (*add)(uint32_t, const char*, uint32_t, const char*, uint32_t, slight_ret*); const char* path; const char* handler; };

// Builds the router and serves it; returns an error text, or NULL.
static const char* start_server(void) {
  static char address[256] = "0.0.0.0:80";
  slight_ret r;
  if (config_get("HELLO_SLIGHT_ADDRESS", &r) && slight_payload(&r).len < sizeof address) {
    memcpy(address, slight_payload(&r).ptr, slight_payload(&r).len);
    address[slight_payload(&r).len] = 0;
  }
  const struct route routes[] = {
      {slight_router_get, "/hello", "handle_hello"},   {slight_router_get, "/foo", "handle_foo"},
      {slight_router_put, "/bar", "handle_bar"},       {slight_router_delete, "/bar", "handle_delete_bar"},
      {slight_router_get, "/config", "handle_config"}, {slight_router_get, "/params/:name", "handle_params"},
  };
  slight_router_new(&r);
  if (!slight_ok(&r)) return "router::new failed";
  uint32_t router = slight_handle(&r);
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; ++i) {
    routes[i].add(router, routes[i].path, (uint32_t)strlen(routes[i].path), routes[i].handler,
                  (uint32_t)strlen(routes[i].handler), &r);
    if (!slight_ok(&r)) return "registering a route failed";
    // Each registration returns a new router holding every route so far; the old one is dropped.
    slight_drop_router(router);
    router = slight_handle(&r);
  }
  slight_server_serve(address, (uint32_t)strlen(address), router, &r);
  if (!slight_ok(&r)) {
    static char why[512];
    snprintf(why, sizeof why, "server::serve(%s) failed: %.*s", address, (int)slight_err_text(&r).len, slight_err_text(&r).ptr);
    return why;
  }
  return 0;
}

#ifdef SLIGHT_ON_SERVER_INIT
// on-server-init: func() -> expected<unit, string>: tag u8 @0, the error string @4/@8.
__attribute__((export_name("on-server-init")))
uint32_t* on_server_init(void) {
  static uint32_t ret[3];
  const char* why = start_server();
  ret[0] = why != 0;
  ret[1] = (uint32_t)(uintptr_t)why;
  ret[2] = why ? (uint32_t)strlen(why) : 0;
  return ret;
}
#else
int main(void) {
  const char* why = start_server();
  if (why) {
    fprintf(stderr, "hello-slight: %s\n", why);
    return 1;
  }
  return 0;
}
#endif
