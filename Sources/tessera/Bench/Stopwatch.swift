import Foundation

/// Times a closure the way the reference scripts do: calibrate how many calls fill `minTime`,
/// then time `reps` repetitions of that many calls and report per-call seconds.
struct Stopwatch {
    let reps: Int
    let minTime: Double

    /// Per-call seconds of each repetition, after one warm-up call.
    func measure(_ body: () throws -> Void) rethrows -> [Double] {
        try body()
        var calls = 0
        let calibrationStart = now()
        while now() - calibrationStart < 0.05 || calls == 0 {
            try body()
            calls += 1
        }
        let perCall = (now() - calibrationStart) / Double(calls)
        let inner = max(1, Int(minTime / max(perCall, 1e-9)))
        var samples: [Double] = []
        for _ in 0..<reps {
            let start = now()
            for _ in 0..<inner { try body() }
            samples.append((now() - start) / Double(inner))
        }
        return samples
    }

    private func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}

extension Array where Element == Double {
    /// The median (mean of the middle two for an even count).
    var median: Double {
        let sorted = self.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Writes one JSON object per line.
func printJSONLine(_ fields: KeyValuePairs<String, Any>) {
    let body = fields.map { key, value -> String in
        switch value {
        case let text as String: "\"\(key)\":\"\(text)\""
        case let number as Double: "\"\(key)\":\(String(format: "%.6g", number))"
        default: "\"\(key)\":\(value)"
        }
    }
    print("{" + body.joined(separator: ",") + "}")
}
