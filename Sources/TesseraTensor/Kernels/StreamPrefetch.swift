import CTesseraKernel

/// Asking ahead for a model being read from memory rather than cache (a round's updates, each
/// read once when the round closes). The hardware's prefetcher keeps too few lines in flight
/// when each line also costs arithmetic: measured on Zen 4, a pass adding a 0.8 MB update into
/// a sum while measuring its distance took 75 µs, 55 µs when asking 4 KiB ahead.
enum StreamPrefetch {
    /// How far ahead, in elements (4 KiB).
    static let distance = 1024
    /// How many elements one ``ahead(of:at:count:)`` covers (two cache lines).
    static let stride = 32

    /// Asks for the ``stride`` elements ``distance`` past `index` in `base`, when they lie
    /// within its `count` elements.
    @inline(__always) static func ahead(of base: UnsafePointer<Float>, at index: Int, count: Int) {
        guard index + distance + stride <= count else { return }
        tessera_prefetch_for_read(base + index + distance)
        tessera_prefetch_for_read(base + index + distance + stride / 2)
    }
}
