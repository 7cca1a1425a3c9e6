// The same /hello app for the Spin 1.x executor, written by hand against the old canonical ABI
// (owner: spin). Built as a WASI reactor: no main, the host calls _initialize then
// handle-http-request(method, uri ptr/len, headers ptr/len, params ptr/len, body tag/ptr/len) and reads
// the 28-byte response record it returns (status u16 @0, headers option @4/8/12, body option @16/20/24).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../canonical_abi_alloc.h"

struct Str { const char* ptr; uint32_t len; };
struct Header { struct Str name, value; };

static uint32_t ret_area[7];
static struct Header response_headers[1];

__attribute__((export_name("handle-http-request")))
uint32_t* handle_http_request(uint32_t method, const char* uri, uint32_t uri_len, struct Header* headers,
                              uint32_t headers_len, void* params, uint32_t params_len, uint32_t body_tag,
                              const uint8_t* body, uint32_t body_len) {
  (void)method; (void)uri; (void)uri_len; (void)headers; (void)headers_len; (void)params; (void)params_len;
  (void)body_tag; (void)body; (void)body_len;
  static const char kType[] = "content-type", kText[] = "text/plain", kBody[] = "hello";
  response_headers[0].name = (struct Str){kType, sizeof kType - 1};
  response_headers[0].value = (struct Str){kText, sizeof kText - 1};
  memset(ret_area, 0, sizeof ret_area);
  *(uint16_t*)&ret_area[0] = 200;
  ret_area[1] = 1;  // headers: some
  ret_area[2] = (uint32_t)(uintptr_t)response_headers;
  ret_area[3] = 1;
  ret_area[4] = 1;  // body: some
  ret_area[5] = (uint32_t)(uintptr_t)kBody;
  ret_area[6] = sizeof kBody - 1;
  return ret_area;
}
