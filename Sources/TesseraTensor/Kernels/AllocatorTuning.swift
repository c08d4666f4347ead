import CTesseraKernel

/// Process-wide allocator settings for tensor workloads.
///
/// Kernels allocate and free megabyte-sized buffers every step. glibc serves those from fresh
/// `mmap`s by default and unmaps them on free, so each step page-faults its memory in again
/// (measured: a fifth of a training step in the kernel's page-fault handler). Raising the mmap
/// and trim thresholds keeps freed blocks in the heap for reuse: the training step of the MNIST
/// CNN went from 25 to 18 ms. The mmap threshold is glibc's maximum (32 MiB); larger blocks are
/// rare and still mapped. Applied once: by ``apply()`` (executables call it first thing) or,
/// at the latest, when the kernel thread pool is created; a no-op with other C libraries.
public enum AllocatorTuning {
    static let applied: Bool = tessera_keep_freed_blocks(32 << 20, 1 << 30) == 2

    /// Applies the settings (idempotent); returns whether the C library accepted them.
    @discardableResult
    public static func apply() -> Bool { applied }

    /// Keeps the heaps a thread's large messages were received into from one round to the
    /// next. A receiving thread (ZeroMQ's I/O thread, in a scheduler) takes a round's updates
    /// into heaps of its own; glibc deletes such a heap as soon as it is empty, whatever the trim
    /// threshold, and the next round faults every page in again (measured: a quarter of the I/O
    /// thread's time). Keeping 64 MiB free at the top of a heap keeps the heaps. For processes
    /// that receive many peers' messages over sockets (a bound channel does it); idempotent.
    public static func keepHeapsBetweenRounds() {
        _ = tessera_keep_heap_top(64 << 20)
    }

    /// Gives freed heap memory back to the system, after a one-off peak (loading a dataset)
    /// that the raised trim threshold would otherwise keep resident.
    public static func releaseFreeMemory() {
        tessera_release_free_memory()
    }
}
