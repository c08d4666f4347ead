/// The known name closest to a mistyped one, for "did you mean" hints.
public enum NearestName {
    /// The name in `candidates` within a few edits of `name` (the closest), or nil.
    ///
    /// Complexity: O(n·m) per candidate, for names of lengths n and m.
    public static func to(_ name: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, name.count / 3)
        return candidates.map { ($0, distance(name, $0)) }.filter { $0.1 <= limit }.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance (insertions, deletions and substitutions).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// " (did you mean 'x'?)" when a near name exists (shown after `prefix`, e.g. "--"), else "".
    public static func hint(for name: String, in candidates: some Sequence<String>, prefix: String = "") -> String {
        to(name, in: candidates).map { " (did you mean '\(prefix)\($0)'?)" } ?? ""
    }
}
