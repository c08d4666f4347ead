/// The known name closest to a mistyped one, for "did you mean" hints.
public enum NearestName {
    /// The name in `candidates` within a few edits of `name` (the closest), or nil. A name
    /// without a section (`rounds`) is also measured against each dotted candidate's last part
    /// (`training.rounds`); among equally near names, one of the same section wins, then the one
    /// sharing the longest start with `name` (`rouns`: `rounds` before `runs`).
    ///
    /// Complexity: O(n·m) per candidate, for names of lengths n and m.
    public static func to(_ name: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, name.count / 3)
        let section = name.split(separator: ".").dropLast().first
        let scored = candidates.map { candidate -> (name: String, distance: Int, closeness: Int) in
            var edits = distance(name, candidate)
            let parts = candidate.split(separator: ".")
            if section == nil, parts.count > 1, let last = parts.last { edits = min(edits, distance(name, String(last))) }
            let sameSection = section != nil && parts.dropLast().first == section
            let shared = zip(name, candidate).prefix { $0 == $1 }.count
            return (candidate, edits, (sameSection ? 1_000 : 0) + shared)
        }
        return scored.filter { $0.distance <= limit }.min { ($0.distance, -$0.closeness) < ($1.distance, -$1.closeness) }?.name
    }

    /// Edit distance counting insertions, deletions, substitutions and transpositions of
    /// neighbours (`rnuds` is one edit from `runds`): the optimal string alignment distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { current[j] = min(current[j], before[j - 2] + 1) }
            }
            (before, previous) = (previous, current)
        }
        return previous[b.count]
    }

    /// " (did you mean 'x'?)" when a near name exists (shown after `prefix`, e.g. "--"), else "".
    public static func hint(for name: String, in candidates: some Sequence<String>, prefix: String = "") -> String {
        to(name, in: candidates).map { " (did you mean '\(prefix)\($0)'?)" } ?? ""
    }
}
