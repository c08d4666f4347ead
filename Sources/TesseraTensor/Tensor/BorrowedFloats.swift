import Synchronization

/// Floats that belong to someone else, a received message's payload, read in place.
///
/// A tensor decoded from a message borrows its payload instead of copying it, so a tensor that
/// is only stored and sent on (put, get, move between workers) is never copied, and a sender's
/// payload frame can point straight at it. The first use that needs an array copies the floats
/// into one, once (``elements``, cached).
package final class BorrowedFloats: @unchecked Sendable {
    // @unchecked: `base` points into `owner`'s memory, which nobody writes and which lives as
    // long as this object holds `owner`; the cached copy is behind its mutex.

    /// The first float (4-byte aligned).
    package let base: UnsafeRawPointer
    /// Number of floats.
    package let count: Int
    /// What keeps the memory alive (a received `Data` frame).
    package let owner: any Sendable
    private let copy = Mutex<[Float]?>(nil)

    /// Borrows `count` little-endian floats at `base`, kept alive by `owner`; nil when `base`
    /// is not aligned for `Float` (the caller copies instead).
    package init?(base: UnsafeRawPointer, count: Int, owner: any Sendable) {
        guard Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0, count >= 0 else { return nil }
        (self.base, self.count, self.owner) = (base, count, owner)
    }

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

    /// A new copy of the floats.
    private func copied() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 4))
            initialized = count
        }
    }
}
