import CTesseraKernel

/// bfloat16: the upper 16 bits of an IEEE 754 float32 (sign, the same 8-bit exponent, 7 bits of
/// mantissa). Widening is exact (the lower half becomes zero); narrowing rounds to the nearest
/// value, ties to even, as PyTorch's `tensor.to(torch.bfloat16)` does: the relative error is at
/// most 2⁻⁸. Infinities stay infinite, a NaN stays a (quiet) NaN, and a finite value beyond
/// bfloat16's largest (about 3.39e38) rounds to infinity.
public enum BFloat16 {
    /// The bfloat16 nearest `value` (ties to even), as its bits.
    @inline(__always) public static func narrow(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        // A NaN keeps its sign and becomes quiet, so rounding cannot carry it into infinity.
        guard bits & 0x7FFF_FFFF <= 0x7F80_0000 else { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// The float32 that `bits` hold as bfloat16.
    @inline(__always) public static func widen(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows `count` values from `source` (less `base`'s, when given: each difference taken
    /// in Float) into `target`, eight at a time: bit for bit ``narrow(_:)`` of each.
    static func narrow(_ source: UnsafePointer<Float>, minus base: UnsafePointer<Float>? = nil, count: Int,
                       into target: UnsafeMutablePointer<UInt16>) {
        @inline(__always) func value(_ index: Int) -> Float { source[index] - (base?[index] ?? 0) }
        let exponent = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var index = 0
        while index + 8 <= count {
            var values = UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
            if let base { values -= UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self) }
            let bits = unsafeBitCast(values, to: SIMD8<UInt32>.self)
            var rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
            rounded.replace(with: (bits &>> 16) | 0x0040, where: (bits & 0x7FFF_FFFF) .> exponent)
            tessera_store_low_halves(rounded, target + index)
            index += 8
        }
        while index < count {
            target[index] = narrow(value(index))
            index += 1
        }
    }

    /// The eight bfloat16 values at `source`, widened (``tessera_widen_bfloat16``).
    @inline(__always) static func widen(eightAt source: UnsafePointer<UInt16>) -> SIMD8<Float> {
        tessera_widen_bfloat16(source)
    }

    /// Widens `count` bfloat16 values from `source` into `target`, eight at a time.
    static func widen(_ source: UnsafePointer<UInt16>, count: Int, into target: UnsafeMutablePointer<Float>) {
        var index = 0
        while index + 8 <= count {
            UnsafeMutableRawPointer(target + index).storeBytes(of: widen(eightAt: source + index), as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            target[index] = widen(source[index])
            index += 1
        }
    }
}
