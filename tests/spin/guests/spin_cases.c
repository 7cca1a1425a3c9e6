// Spin 1.x ABI test guest, written by hand against the old canonical ABI (see examples/hello/hello_spin.c
// for the layout). spin-path-info picks the behaviour under test.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../examples/canonical_abi_alloc.h"

// Host imports (Spin 1.x interfaces), old-ABI lowering with a return area as the last argument.
__attribute__((import_module("key-value"), import_name("open"))) void kv_open(const char*, size_t, void*);
__attribute__((import_module("key-value"), import_name("get"))) void kv_get(uint32_t, const char*, size_t, void*);
__attribute__((import_module("key-value"), import_name("set")))
void kv_set(uint32_t, const char*, size_t, const char*, size_t, void*);
__attribute__((import_module("spin-config"), import_name("get-config"))) void config_get(const char*, size_t, void*);
__attribute__((import_module("wasi-outbound-http"), import_name("request")))
void http_request(uint32_t, const char*, size_t, void*, size_t, void*, size_t, uint32_t, void*, size_t, void*);
// Linked but never called, as the Rust SDK does: instantiation must still succeed.
__attribute__((import_module("outbound-redis"), import_name("publish")))
void redis_publish(const char*, size_t, const char*, size_t, const void*, size_t, void*);
__attribute__((import_module("outbound-redis"), import_name("set")))
void redis_set(const char*, size_t, const char*, size_t, const char*, size_t, void*);
__attribute__((import_module("outbound-redis"), import_name("get"))) void redis_get(const char*, size_t, const char*, size_t, void*);
__attribute__((import_module("outbound-redis"), import_name("incr"))) void redis_incr(const char*, size_t, const char*, size_t, void*);
__attribute__((import_module("outbound-redis"), import_name("del"))) void redis_del(const char*, size_t, const void*, size_t, void*);
__attribute__((import_module("outbound-redis"), import_name("sadd")))
void redis_sadd(const char*, size_t, const char*, size_t, const void*, size_t, void*);
__attribute__((import_module("outbound-redis"), import_name("smembers")))
void redis_smembers(const char*, size_t, const char*, size_t, void*);
__attribute__((import_module("outbound-pg"), import_name("query")))
void pg_query(const char*, size_t, const char*, size_t, const void*, size_t, void*);
__attribute__((import_module("sqlite"), import_name("open"))) void sqlite_open(const char*, size_t, void*);
__attribute__((import_module("llm"), import_name("infer")))
void llm_infer(const char*, size_t, const char*, size_t, uint32_t, uint32_t, float, uint32_t, float, float, void*);

struct Str { char* ptr; uint32_t len; };
struct Header { struct Str name, value; };

static uint32_t ret_area[7];
static struct Header out_headers[64];
static uint32_t n_out;
static char body_buf[65536];
static size_t body_len;

static void add_header(const char* n, size_t nl, const char* v, size_t vl) {
  if (n_out == 64) return;
  out_headers[n_out].name = (struct Str){(char*)n, (uint32_t)nl};
  out_headers[n_out].value = (struct Str){(char*)v, (uint32_t)vl};
  ++n_out;
}
static void say(const char* fmt, const char* a, size_t al) {
  body_len += snprintf(body_buf + body_len, sizeof body_buf - body_len, fmt, (int)al, a);
  if (body_len >= sizeof body_buf) body_len = sizeof body_buf - 1;
}
static uint32_t* respond(uint16_t status, int with_body) {
  memset(ret_area, 0, sizeof ret_area);
  *(uint16_t*)&ret_area[0] = status;
  ret_area[1] = n_out ? 1 : 0;
  ret_area[2] = (uint32_t)(uintptr_t)out_headers;
  ret_area[3] = n_out;
  ret_area[4] = with_body ? 1 : 0;
  ret_area[5] = (uint32_t)(uintptr_t)body_buf;
  ret_area[6] = (uint32_t)body_len;
  return ret_area;
}
static const char* find(struct Header* h, uint32_t n, const char* name, size_t* len) {
  for (uint32_t i = 0; i < n; ++i)
    if (h[i].name.len == strlen(name) && !memcmp(h[i].name.ptr, name, h[i].name.len)) {
      *len = h[i].value.len;
      return h[i].value.ptr;
    }
  *len = 0;
  return NULL;
}

__attribute__((export_name("handle-http-request")))
uint32_t* handle_http_request(uint32_t method, char* uri, uint32_t uri_len, struct Header* headers, uint32_t n_headers,
                              void* params, uint32_t n_params, uint32_t body_tag, char* body, uint32_t blen) {
  (void)params;
  n_out = 0;
  body_len = 0;
  size_t pl;
  const char* p = find(headers, n_headers, "spin-path-info", &pl);
  char path[256] = {0};
  if (p && pl < sizeof path) memcpy(path, p, pl);
  static char method_s[16];
  snprintf(method_s, sizeof method_s, "%u", method);

  if (!strcmp(path, "/echo")) {  // request facts, one per line, plus every header as name=value
    say("uri=%.*s\n", uri, uri_len);
    say("method=%.*s\n", method_s, strlen(method_s));
    say("params=%.*s\n", n_params ? "some" : "none", 4);
    say("body=%.*s\n", body_tag ? body : "<none>", body_tag ? blen : 6);
    for (uint32_t i = 0; i < n_headers; ++i) {
      say("%.*s=", headers[i].name.ptr, headers[i].name.len);
      say("%.*s\n", headers[i].value.ptr, headers[i].value.len);
    }
    add_header("content-type", 12, "text/plain", 10);
    add_header("x-dup", 5, "first", 5);
    add_header("x-dup", 5, "second", 6);
    return respond(200, 1);
  }
  if (!strcmp(path, "/kv")) {  // ?key=value sets, ?key reads (store "default")
    struct { uint8_t tag; uint8_t pad[3]; uint32_t a, b, c; } r;
    kv_open("default", 7, &r);
    if (r.tag) {
      say("open failed: %.*s", "e", 1);
      return respond(500, 1);
    }
    uint32_t store = r.a;
    char* q = memchr(uri, '?', uri_len);
    if (!q) return respond(400, 0);
    char* qs = q + 1;
    size_t ql = uri_len - (size_t)(qs - uri);
    char* eq = memchr(qs, '=', ql);
    if (eq) {
      kv_set(store, qs, (size_t)(eq - qs), eq + 1, ql - (size_t)(eq + 1 - qs), &r);
      return respond(r.tag ? 500 : 204, 0);
    }
    kv_get(store, qs, ql, &r);
    if (r.tag) {
      // error variant case at +4 (no-such-key is 4)
      snprintf(body_buf, sizeof body_buf, "error %u", (unsigned)(r.a & 0xff));
      body_len = strlen(body_buf);
      return respond(404, 1);
    }
    say("%.*s", (const char*)(uintptr_t)r.a, r.b);
    return respond(200, 1);
  }
  if (!strcmp(path, "/kv-denied")) {  // a store the manifest does not list
    struct { uint8_t tag; uint8_t pad[3]; uint32_t a, b, c; } r;
    kv_open("other", 5, &r);
    snprintf(body_buf, sizeof body_buf, "tag=%u case=%u", r.tag, (unsigned)(r.a & 0xff));
    body_len = strlen(body_buf);
    return respond(200, 1);
  }
  if (!strcmp(path, "/config")) {
    struct { uint8_t tag; uint8_t pad[3]; uint32_t a, b, c; } r;
    config_get("greeting", 8, &r);
    if (r.tag) return respond(500, 0);
    say("%.*s", (const char*)(uintptr_t)r.a, r.b);
    return respond(200, 1);
  }
  if (!strcmp(path, "/outbound")) {  // ?URL: try an outbound request, report the error case
    char* q = memchr(uri, '?', uri_len);
    if (!q) return respond(400, 0);
    struct { uint8_t tag; uint8_t pad[3]; uint32_t a, b, c, d, e, f, g; } r;
    static char hn[] = "x-from-guest", hv[] = "1";
    static struct Header req_headers[1];
    req_headers[0].name = (struct Str){hn, sizeof hn - 1};
    req_headers[0].value = (struct Str){hv, sizeof hv - 1};
    http_request(0, q + 1, uri_len - (size_t)(q + 1 - uri), req_headers, 1, 0, 0, 0, 0, 0, &r);
    if (r.tag == 0) {  // ok(response): status, headers option, body option
      snprintf(body_buf, sizeof body_buf, "status=%u headers=%u body=%.*s", r.a & 0xffff, r.b & 0xff,
               (int)((r.e & 0xff) ? r.g : 0), (const char*)(uintptr_t)r.f);
    } else {
      snprintf(body_buf, sizeof body_buf, "tag=%u case=%u", r.tag, (unsigned)(r.a & 0xff));
    }
    body_len = strlen(body_buf);
    return respond(200, 1);
  }
  if (!strcmp(path, "/redis")) {  // ?redis://host:port — a round of every implemented command
    char* q = memchr(uri, '?', uri_len);
    if (!q) return respond(400, 0);
    const char* addr = q + 1;
    size_t al = uri_len - (size_t)(q + 1 - uri);
    struct { uint8_t tag; uint8_t pad[7]; int64_t i; } ri;  // expected<s64, error>: payload at +8
    struct { uint8_t tag; uint8_t pad[3]; uint32_t a, b; } rl;  // expected<list, error>: payload at +4
    static struct Str keys[1] = {{"wp-n", 4}};
    static struct Str members[2] = {{"a", 1}, {"b", 1}};
    redis_del(addr, al, keys, 1, &ri);
    redis_incr(addr, al, "wp-n", 4, &ri);
    redis_incr(addr, al, "wp-n", 4, &ri);
    long long incr = ri.tag ? -1 : ri.i;
    redis_set(addr, al, "wp-key", 6, "v1", 2, &rl);
    int set_tag = rl.tag;
    redis_get(addr, al, "wp-key", 6, &rl);
    char got[32] = {0};
    if (!rl.tag && rl.b < sizeof got) memcpy(got, (void*)(uintptr_t)rl.a, rl.b);
    static struct Str setkey[1] = {{"wp-set", 6}};
    redis_del(addr, al, setkey, 1, &ri);
    redis_sadd(addr, al, "wp-set", 6, members, 2, &ri);
    long long added = ri.tag ? -1 : ri.i;
    redis_smembers(addr, al, "wp-set", 6, &rl);
    unsigned n_members = rl.tag ? 999 : rl.b;
    redis_publish(addr, al, "chan", 4, "msg", 3, &rl);
    snprintf(body_buf, sizeof body_buf, "set=%d get=%s incr=%lld sadd=%lld members=%u publish=%d", set_tag, got, incr,
             added, n_members, rl.tag);
    body_len = strlen(body_buf);
    return respond(200, 1);
  }
  if (!strcmp(path, "/loop")) {
    volatile unsigned long n = 0;
    for (;;) ++n;
  }
  if (!strcmp(path, "/trap")) __builtin_trap();
  if (!strcmp(path, "/badstatus")) return respond(700, 0);
  if (!strcmp(path, "/badptr")) {
    memset(ret_area, 0, sizeof ret_area);
    *(uint16_t*)&ret_area[0] = 200;
    ret_area[4] = 1;
    ret_area[5] = 0xfffffff0u;
    ret_area[6] = 64;
    return ret_area;
  }
  static volatile int never = 0;
  if (never) {  // keep the unused imports linked
    redis_publish(0, 0, 0, 0, 0, 0, 0);
    pg_query(0, 0, 0, 0, 0, 0, 0);
    sqlite_open(0, 0, 0);
    llm_infer(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
  say("spin path_info=%.*s", path, strlen(path));
  add_header("content-type", 12, "text/plain", 10);
  return respond(200, 1);
}
