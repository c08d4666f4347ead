#ifndef C_TESSERA_KERNEL_H
#define C_TESSERA_KERNEL_H

/// Hints that the cache line holding `address` will be written soon. Swift has no prefetch
/// primitive; the GEMM microkernel uses this to fetch its C tile while it computes.
static inline void tessera_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
