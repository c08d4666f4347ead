/// Kernel scratch memory: 64-byte aligned (one cache line, a whole AVX-512 register), so tiles
/// and panels never straddle lines, and sized per thread in whole lines.
enum Scratch {
    /// Uninitialized memory for `floats` floats, 64-byte aligned; free with `deallocate()`.
    static func allocate(floats: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, floats) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, floats))
    }

    /// `floats` rounded up to whole cache lines, the stride of one thread's region.
    static func lineRounded(_ floats: Int) -> Int {
        (floats + 15) / 16 * 16
    }

    /// `floats` rounded up to an odd number of cache lines: the stride for arrays of buffers
    /// that one loop touches all at once (a tile's α² Winograd points). Strides that are a
    /// multiple of 4 KiB map every buffer to the same L1 set and evict each other; an odd line
    /// count spreads consecutive buffers over distinct sets.
    static func setSpread(_ floats: Int) -> Int {
        let lines = (floats + 15) / 16
        return (lines | 1) * 16
    }
}
