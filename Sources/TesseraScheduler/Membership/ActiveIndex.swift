/// The active workers in id order, counted and indexed without listing them: every id sorted,
/// a flag each, and a Fenwick tree over the flags, so that the i-th active worker is found and
/// a worker's status changes in O(log n). Ids added are sorted in at the next read, so a
/// million registrations cost one sort.
struct ActiveIndex {
    /// Every id, sorted (after ``settle()``).
    private(set) var ids: [String] = []
    /// Ids added since the last sort.
    private var added: [String] = []
    private var flags: [Bool] = []
    /// Fenwick tree: `tree[i]` sums the flags of a range ending at position i − 1.
    private var tree: [Int32] = [0]
    /// How many are active.
    private(set) var count = 0

    /// Adds `id` (inactive).
    mutating func add(_ id: String) {
        added.append(id)
    }

    /// Marks `id` active or not.
    mutating func set(_ id: String, active: Bool) {
        settle()
        guard let position = position(of: id), flags[position] != active else { return }
        flags[position] = active
        count += active ? 1 : -1
        var index = position + 1
        while index < tree.count {
            tree[index] += active ? 1 : -1
            index += index & -index
        }
    }

    /// The active worker at `rank` (0-based, in id order; call ``settle()`` first).
    func active(at rank: Int) -> String {
        ids[select(rank)]
    }

    /// Sorts in the ids added since the last read, and rebuilds the tree.
    mutating func settle() {
        guard !added.isEmpty else { return }
        let active = Set(ids.indices.filter { flags[$0] }.map { ids[$0] })
        ids = (ids + added).sorted()
        added = []
        flags = ids.map(active.contains)
        tree = [Int32](repeating: 0, count: ids.count + 1)
        for position in ids.indices where flags[position] {
            var index = position + 1
            while index < tree.count {
                tree[index] += 1
                index += index & -index
            }
        }
    }

    private func position(of id: String) -> Int? {
        var (low, high) = (0, ids.count)
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ids[low] == id ? low : nil
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
