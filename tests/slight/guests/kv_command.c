// slight 0.1/0.2-era keyvalue guest (owner: slight): a plain WASI command (no http capability, so the
// host runs _start and exits with its status) using the old `kv` interface — kv.kv::open/get/set/keys/
// delete, errors `variant error { error-with-description(string) }`, handles dropped through
// canonical_abi.resource_drop_kv — the imports a real prebuilt slight keyvalue test app makes.
#include <stdio.h>

#include "../../../examples/slight/slight_abi.h"

SLIGHT_IMPORT("kv", "kv::open") void kv_open(const char* name, uint32_t len, slight_ret* ret);
SLIGHT_IMPORT("kv", "kv::get") void kv_get(uint32_t kv, const char* key, uint32_t len, slight_ret* ret);
SLIGHT_IMPORT("kv", "kv::set") void kv_set(uint32_t kv, const char* key, uint32_t len, const char* v, uint32_t vlen, slight_ret* ret);
SLIGHT_IMPORT("kv", "kv::keys") void kv_keys(uint32_t kv, slight_ret* ret);
SLIGHT_IMPORT("kv", "kv::delete") void kv_delete(uint32_t kv, const char* key, uint32_t len, slight_ret* ret);
SLIGHT_IMPORT("canonical_abi", "resource_drop_kv") void kv_drop(uint32_t kv);

static uint32_t open_store(const char* name) {
  slight_ret r;
  kv_open(name, (uint32_t)strlen(name), &r);
  if (!slight_ok(&r)) {
    printf("open %s: error %u: %.*s\n", name, slight_err_case(&r), (int)slight_err_text(&r).len, slight_err_text(&r).ptr);
    return 0;
  }
  return slight_handle(&r);
}

static void set(uint32_t kv, const char* k, const char* v) {
  slight_ret r;
  kv_set(kv, k, (uint32_t)strlen(k), v, (uint32_t)strlen(v), &r);
  if (!slight_ok(&r)) printf("set %s: error\n", k);
}

static void get(uint32_t kv, const char* k) {
  slight_ret r;
  kv_get(kv, k, (uint32_t)strlen(k), &r);
  if (slight_ok(&r)) printf("get %s = %.*s\n", k, (int)slight_payload(&r).len, slight_payload(&r).ptr);
  else printf("get %s: error %u: %.*s\n", k, slight_err_case(&r), (int)slight_err_text(&r).len, slight_err_text(&r).ptr);
}

int main(void) {
  uint32_t a = open_store("my-container"), b = open_store("my-container2");
  if (!a || !b) return 2;
  set(a, "k1", "v1");
  set(a, "../escape/k2", "v2");
  set(b, "k1", "other store");
  get(a, "k1");
  get(a, "../escape/k2");
  get(b, "k1");
  slight_ret r;
  kv_keys(a, &r);
  if (!slight_ok(&r)) return 3;
  const slight_str* keys = (const slight_str*)(uintptr_t)slight_payload(&r).ptr;
  printf("keys: %u\n", slight_payload(&r).len);
  for (uint32_t i = 0; i < slight_payload(&r).len; ++i)
    if (keys[i].len == 2 && memcmp(keys[i].ptr, "k1", 2) == 0) printf("keys has k1\n");
  kv_delete(a, "k1", 2, &r);
  printf("delete k1: %s\n", slight_ok(&r) ? "ok" : "error");
  get(a, "k1");
  kv_drop(a);
  kv_drop(b);
  open_store("not-declared");
  return 7;  // the exit status the host must hand back
}
