import Synchronization

/// Floats that belong to someone else, a received message's payload, read in place.
///
/// A tensor decoded from a message borrows its payload instead of copying it, so a tensor that
/// is only stored and sent on (put, get, move between workers) is never copied, and a sender's
/// payload frame can point straight at it. The first use that needs an array copies the floats
/// into one, once (``elements``, cached). Values held as bfloat16 (``Encoding/bfloat16``, two
/// bytes each) are widened to Float by that copy; until then they take half the memory, and a
/// message carries them as they are.
package final class BorrowedFloats: @unchecked Sendable {
    /// How each value is held.
    package enum Encoding: Sendable {
        /// IEEE 754 single precision, four little-endian bytes.
        case float32
        /// The upper half of a float32 (``BFloat16``), two little-endian bytes.
        case bfloat16

        /// Bytes per value.
        package var width: Int { self == .float32 ? 4 : 2 }
    }

    // @unchecked: `base` points into `owner`'s memory, which nobody writes and which lives as
    // long as this object holds `owner`; the cached copy is behind its mutex.

    /// The first value (aligned for its encoding).
    package let base: UnsafeRawPointer
    /// Number of values.
    package let count: Int
    /// How they are held.
    package let encoding: Encoding
    /// What keeps the memory alive (a received `Data` frame).
    package let owner: any Sendable
    private let copy = Mutex<[Float]?>(nil)

    /// Borrows `count` little-endian values held as `encoding` at `base`, kept alive by
    /// `owner`; nil when `base` is not aligned for them (the caller copies instead).
    package convenience init?(base: UnsafeRawPointer, count: Int, owner: any Sendable, encoding: Encoding = .float32) {
        guard Int(bitPattern: base) % encoding.width == 0, count >= 0 else { return nil }
        self.init(aligned: base, count: count, owner: owner, encoding: encoding)
    }

    /// Borrows values the caller knows are aligned for `encoding`.
    init(aligned base: UnsafeRawPointer, count: Int, owner: any Sendable, encoding: Encoding) {
        (self.base, self.count, self.owner, self.encoding) = (base, count, owner, encoding)
    }

    /// The bytes the values take.
    package var byteCount: Int { count * encoding.width }

    /// The floats as an array: copied on the first call, then shared.
    var elements: [Float] {
        copy.withLock { cached in
            if let cached { return cached }
            let array = copied()
            cached = array
            return array
        }
    }

    /// The floats as an array of the caller's own, to be changed: the shared copy, taken out
    /// (a later reader makes another), when a reader made one; else a new copy. Either way one
    /// copy at most: keeping the shared one cached would make the change copy it again.
    func taken() -> [Float] {
        copy.withLock { cached in
            defer { cached = nil }
            return cached ?? copied()
        }
    }

    /// A new copy of the floats (bfloat16 values widened).
    private func copied() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            switch encoding {
            case .float32:
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 4))
            case .bfloat16:
                if let target = buffer.baseAddress {
                    BFloat16.widen(base.assumingMemoryBound(to: UInt16.self), count: count, into: target)
                }
            }
            initialized = count
        }
    }
}
