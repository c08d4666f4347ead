/// The active workers in id order, counted and indexed without listing them. Workers are
/// numbered slots (0, 1, 2, ... in the order they were added); the index keeps the slots sorted
/// by id, a flag each, and a Fenwick tree over the flags in that order, so that the i-th active
/// worker is found and a worker's status changes in O(log n). Slots added are sorted in at the
/// next ``settle(ids:)``, so a million registrations cost one sort. About 13 bytes a worker.
struct ActiveIndex {
    /// Every sorted-in slot, in id order.
    private var order: [Int32] = []
    /// Each sorted-in slot's position in ``order``.
    private var position: [Int32] = []
    /// Whether each slot (sorted in or not) is active.
    private var flags: [Bool] = []
    /// Fenwick tree over ``order``: `tree[i]` sums the flags of a range ending at position i − 1.
    private var tree: [Int32] = [0]
    /// How many are active.
    private(set) var count = 0

    /// How many slots there are.
    var slotCount: Int { flags.count }

    /// Adds the next slot (inactive), numbered ``slotCount``.
    mutating func add() {
        flags.append(false)
    }

    /// Marks `slot` active or not (ignored for a slot never added).
    mutating func set(_ slot: Int, active: Bool) {
        guard flags.indices.contains(slot), flags[slot] != active else { return }
        flags[slot] = active
        count += active ? 1 : -1
        // A slot not sorted in yet enters the tree at the next settle.
        guard slot < position.count else { return }
        var index = Int(position[slot]) + 1
        while index < tree.count {
            tree[index] += active ? 1 : -1
            index += index & -index
        }
    }

    /// Whether slots were added since the last ``settle(ids:)``.
    var isSettled: Bool { position.count == flags.count }

    /// Sorts in the slots added since the last call, by `ids` (each slot's id), and rebuilds the
    /// tree.
    mutating func settle(ids: [String]) {
        guard !isSettled else { return }
        let added = (position.count..<flags.count).map { Int32($0) }.sorted { ids[Int($0)] < ids[Int($1)] }
        order = Self.merge(order, added) { ids[Int($0)] < ids[Int($1)] }
        position = [Int32](repeating: 0, count: flags.count)
        for (at, slot) in order.enumerated() { position[Int(slot)] = Int32(at) }
        tree = [Int32](repeating: 0, count: order.count + 1)
        for (at, slot) in order.enumerated() where flags[Int(slot)] {
            var index = at + 1
            while index < tree.count {
                tree[index] += 1
                index += index & -index
            }
        }
    }

    /// The slot of the active worker at `rank` (0-based, in id order; settle first).
    func active(at rank: Int) -> Int {
        Int(order[select(rank)])
    }

    /// Every sorted-in slot, in id order.
    var slotsInOrder: [Int32] { order }

    /// Two sorted runs merged into one.
    private static func merge(_ first: [Int32], _ second: [Int32], by less: (Int32, Int32) -> Bool) -> [Int32] {
        var merged: [Int32] = []
        merged.reserveCapacity(first.count + second.count)
        var (i, j) = (0, 0)
        while i < first.count && j < second.count {
            if less(second[j], first[i]) {
                merged.append(second[j])
                j += 1
            } else {
                merged.append(first[i])
                i += 1
            }
        }
        merged += first[i...]
        merged += second[j...]
        return merged
    }

    /// The position of the active one at `rank`: the Fenwick descent.
    private func select(_ rank: Int) -> Int {
        precondition(rank >= 0 && rank < count, "rank \(rank) of \(count) active")
        var position = 0
        var remaining = Int32(rank + 1)
        var step = 1
        while step * 2 < tree.count { step *= 2 }
        while step > 0 {
            let next = position + step
            if next < tree.count && tree[next] < remaining {
                position = next
                remaining -= tree[next]
            }
            step /= 2
        }
        return position
    }
}
