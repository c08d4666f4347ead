#ifndef C_TESSERA_KERNEL_H
#define C_TESSERA_KERNEL_H

#include <stddef.h>

#if defined(__x86_64__) && __has_include(<cpuid.h>)
#include <cpuid.h>
#endif

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// Hints that the cache line holding `address` will be written soon. Swift has no prefetch
/// primitive; the GEMM microkernel uses this to fetch its C tile while it computes.
static inline void tessera_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Hints that the cache line holding `address` will be read soon. Streaming passes over a
/// model that is in memory, not cache (a round's updates), ask for their data ahead of use: the
/// hardware's own prefetcher keeps too few lines in flight when each line also costs arithmetic.
static inline void tessera_prefetch_for_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Eight floats, eight 16-bit and eight 32-bit integers, as Swift's SIMD8 types.
typedef float tessera_float8 __attribute__((ext_vector_type(8)));
typedef unsigned short tessera_ushort8 __attribute__((ext_vector_type(8)));
typedef unsigned int tessera_uint8 __attribute__((ext_vector_type(8)));

/// The eight bfloat16 values at `source` (native byte order), widened to float: each moves to
/// the upper half of a 32-bit lane. Swift's own lane conversion from 16-bit integers is a
/// generic call that the optimizer leaves out of line; this is one instruction (vpmovzxwd)
/// and a shift.
static inline tessera_float8 tessera_widen_bfloat16(const unsigned short *source) {
    tessera_ushort8 halves;
    __builtin_memcpy(&halves, source, sizeof halves);
    tessera_uint8 words = __builtin_convertvector(halves, tessera_uint8) << 16;
    tessera_float8 values;
    __builtin_memcpy(&values, &words, sizeof values);
    return values;
}

/// Stores the low 16 bits of each of `words`' eight lanes at `target` (vpackusdw, for lanes
/// that fit; Swift's lane conversion is out of line, as for widening).
static inline void tessera_store_low_halves(tessera_uint8 words, unsigned short *target) {
    tessera_ushort8 halves = __builtin_convertvector(words & 0xFFFF, tessera_ushort8);
    __builtin_memcpy(target, &halves, sizeof halves);
}

/// Names the calling thread `name` (Linux keeps its first 15 bytes; profilers and /proc show
/// it). Foundation's `Thread.name` does not reach Linux, and Swift cannot call the variadic
/// `prctl`. Elsewhere a no-op.
static inline void tessera_name_this_thread(const char *name) {
#if defined(__linux__)
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
#else
    (void)name;
#endif
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

/// Keeps `bytes` of free space at the top of every heap when freeing, so that glibc does not
/// delete a thread's extra heaps as soon as they empty (glibc only; elsewhere a no-op). Returns
/// whether glibc accepted it.
static inline int tessera_keep_heap_top(int bytes) {
#if defined(M_TOP_PAD)
    return mallopt(M_TOP_PAD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}

/// Returns freed heap memory to the operating system (glibc only; elsewhere a no-op).
static inline void tessera_release_free_memory(void) {
#if defined(M_TRIM_THRESHOLD)
    malloc_trim(0);
#endif
}

/// Whether the code including this header is compiled for AVX2 and FMA (x86-64-v3). Evaluated
/// in the includer's compilation, so the kernel target reports its own build flags.
static inline int tessera_compiled_for_avx2_fma(void) {
#if defined(__AVX2__) && defined(__FMA__)
    return 1;
#else
    return 0;
#endif
}

/// Whether this CPU and operating system run AVX2 and FMA code: CPUID reports AVX2, FMA and
/// OSXSAVE, and the OS saves the YMM state (XCR0 bits 1 and 2). Always 0 off x86-64.
static inline int tessera_cpu_runs_avx2_fma(void) {
#if defined(__x86_64__) && __has_include(<cpuid.h>)
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((ecx & (fma | osxsave | avx)) != (fma | osxsave | avx)) return 0;
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6u) != 6u) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & (1u << 5)) != 0;
#else
    return 0;
#endif
}

#endif
