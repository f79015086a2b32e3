/*
 * Objects kept in a free list for reuse (pools of requests and buffers)
 * would hide a use after free from AddressSanitizer: it only sees the
 * malloc and free around the pool. Poisoned while pooled, a stale pointer
 * still trips it. Outside ASan builds these do nothing.
 */
#ifndef NVMF_XP_POISON_H
#define NVMF_XP_POISON_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define XP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XP_ASAN 1
#endif
#endif

#ifdef XP_ASAN
#include <sanitizer/asan_interface.h>
#define xp_poison(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define xp_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define xp_poison(p, n)   ((void)(p), (void)(n))
#define xp_unpoison(p, n) ((void)(p), (void)(n))
#endif

#endif /* NVMF_XP_POISON_H */
