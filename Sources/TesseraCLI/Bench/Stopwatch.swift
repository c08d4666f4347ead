import Foundation

/// Times a closure the way `../shared/bench` does: calibrate how many calls fill `minTime`,
/// then time repetitions of that many calls, keeping only the clean ones — those during which
/// other processes used less than 10% of a core (`/proc/stat` busy time minus our own). Up to
/// three times `reps` attempts are made; when none is clean, all are reported.
struct Stopwatch {
    let reps: Int
    let minTime: Double

    /// Per-call seconds of the kept repetitions and how many were clean.
    struct Samples {
        var seconds: [Double]
        var clean: Int
    }

    func measure(_ body: () throws -> Void) rethrows -> Samples {
        try body()
        var calls = 0
        let calibrationStart = now()
        while now() - calibrationStart < 0.05 || calls == 0 {
            try body()
            calls += 1
        }
        let perCall = (now() - calibrationStart) / Double(calls)
        let inner = max(1, Int(minTime / max(perCall, 1e-9)))
        var clean: [Double] = [], dirty: [Double] = []
        for _ in 0..<(3 * reps) where clean.count < reps {
            let before = CPUTime.sample()
            let start = now()
            for _ in 0..<inner { try body() }
            let elapsed = now() - start
            let foreign = CPUTime.sample().foreignSeconds(since: before)
            if foreign <= max(0.02, 0.1 * elapsed) {
                clean.append(elapsed / Double(inner))
            } else {
                dirty.append(elapsed / Double(inner))
            }
        }
        return Samples(seconds: clean.isEmpty ? dirty : clean, clean: clean.count)
    }

    private func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}

/// Machine-wide busy CPU time and this process's own, to tell how much other processes ran.
struct CPUTime {
    let machineBusy: Double
    let own: Double

    static func sample() -> CPUTime {
        var busy = 0.0
        if let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
           let line = text.split(separator: "\n").first {
            let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            if fields.count >= 7 {
                // user nice system idle iowait irq softirq: busy = user+nice+system+irq+softirq
                busy = (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let own = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return CPUTime(machineBusy: busy, own: own)
    }

    /// CPU seconds other processes used between `earlier` and this sample.
    func foreignSeconds(since earlier: CPUTime) -> Double {
        max(0, (machineBusy - earlier.machineBusy) - (own - earlier.own))
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
