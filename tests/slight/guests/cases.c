// slight test guest (owner: slight), v0.3 lifecycle:
//   GET /proxy  fetches the URL in the configs value SLIGHT_TEST_UPSTREAM with http-client::request
//               (forwarding the request's headers) and answers with the upstream's status and body; an
//               http-client error answers 502 with its text.
//   GET /slow   sleeps 1 s (WASI clock), then answers "slow done" (draining on SIGTERM).
//   GET /spin   loops forever (the per-request deadline must stop it).
//   GET /trap   hits `unreachable`.
#include <stdio.h>
#include <time.h>

#include "../../../examples/slight/slight_abi.h"

// http-client.wit: request: func(req: request) -> expected<response, http-error>; the request record
// flat (10 i32) plus the return area: tag @0, response @4 (status @4, headers option @8/12/16, body
// option @20/24/28), or http-error tag @4 with a string @8/@12.
SLIGHT_IMPORT("http-client", "request")
void slight_http_request(uint32_t method, const char* uri, uint32_t uri_len, const slight_pair* headers, uint32_t headers_len,
                         const slight_pair* params, uint32_t params_len, uint32_t body_tag, const char* body, uint32_t body_len,
                         uint32_t* ret);

static int config_get(const char* key, slight_ret* r) { return slight_config_get("cfg", key, r); }

SLIGHT_HANDLER("handle-proxy", handle_proxy) {
  slight_ret r;
  if (!config_get("SLIGHT_TEST_UPSTREAM", &r)) return slight_respond(500, 0, 0, "no upstream", 11);
  slight_str url = slight_payload(&r);
  static uint32_t ret[8];
  slight_http_request(0, url.ptr, url.len, headers, headers_len, 0, 0, 0, 0, 0, ret);
  if (ret[0] & 0xff) return slight_respond(502, 0, 0, (const char*)(uintptr_t)ret[2], ret[3]);
  uint16_t status = *(uint16_t*)&ret[1];
  uint32_t has_body = ret[5] & 0xff;
  return slight_respond(status, 0, 0, has_body ? (const char*)(uintptr_t)ret[6] : "", has_body ? ret[7] : 0);
}

SLIGHT_HANDLER("handle-slow", handle_slow) {
  struct timespec ts = {1, 0};
  nanosleep(&ts, 0);
  return slight_respond(200, 0, 0, "slow done", 9);
}

SLIGHT_HANDLER("handle-spin", handle_spin) {
  volatile uint32_t n = 0;
  for (;;) ++n;
}

SLIGHT_HANDLER("handle-trap", handle_trap) { __builtin_trap(); }

int main(void) {
  slight_ret r;
  char address[128] = "127.0.0.1:0";
  if (config_get("HELLO_SLIGHT_ADDRESS", &r) && slight_payload(&r).len < sizeof address) {
    memcpy(address, slight_payload(&r).ptr, slight_payload(&r).len);
    address[slight_payload(&r).len] = 0;
  }
  slight_router_new(&r);
  uint32_t router = slight_handle(&r);
  static const char* const routes[][2] = {
      {"/proxy", "handle_proxy"}, {"/slow", "handle_slow"}, {"/spin", "handle_spin"}, {"/trap", "handle_trap"}};
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; ++i) {
    slight_router_get(router, routes[i][0], (uint32_t)strlen(routes[i][0]), routes[i][1], (uint32_t)strlen(routes[i][1]), &r);
    if (!slight_ok(&r)) return 1;
    router = slight_handle(&r);
  }
  slight_server_serve(address, (uint32_t)strlen(address), router, &r);
  return slight_ok(&r) ? 0 : 1;
}
