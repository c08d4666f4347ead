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
}
