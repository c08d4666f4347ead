#ifndef C_TESSERA_KERNEL_H
#define C_TESSERA_KERNEL_H

#include <stddef.h>

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// Hints that the cache line holding `address` will be written soon. Swift has no prefetch
/// primitive; the GEMM microkernel uses this to fetch its C tile while it computes.
static inline void tessera_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Keeps freed blocks up to `mmap_bytes` in the heap instead of unmapping them, and never
/// trims the heap below `trim_bytes` of free space (glibc only; elsewhere a no-op). Returns the
/// number of settings glibc accepted.
static inline int tessera_keep_freed_blocks(int mmap_bytes, int trim_bytes) {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    return mallopt(M_MMAP_THRESHOLD, mmap_bytes) + mallopt(M_TRIM_THRESHOLD, trim_bytes);
#else
    (void)mmap_bytes;
    (void)trim_bytes;
    return 0;
#endif
}

/// Returns freed heap memory to the operating system (glibc only; elsewhere a no-op).
static inline void tessera_release_free_memory(void) {
#if defined(M_TRIM_THRESHOLD)
    malloc_trim(0);
#endif
}

#endif
