// The guest half of the old (wit-bindgen 0.2) canonical ABI's memory management, shared by the
// hand-written guests (Spin 1.x and slight): the host allocates every string and list it hands to the
// guest with canonical_abi_realloc(old_ptr, old_len, align, new_len) and may release with
// canonical_abi_free(ptr, len, align). Include it in exactly one .c file of a module.
#ifndef WASIPOOL_CANONICAL_ABI_ALLOC_H
#define WASIPOOL_CANONICAL_ABI_ALLOC_H
#include <stddef.h>
#include <stdlib.h>

__attribute__((export_name("canonical_abi_realloc")))
void* canonical_abi_realloc(void* ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void*)align;  // an empty list needs only an aligned non-null pointer
  void* p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

__attribute__((export_name("canonical_abi_free")))
void canonical_abi_free(void* ptr, size_t size, size_t align) {
  (void)align;
  if (size) free(ptr);
}

#endif
