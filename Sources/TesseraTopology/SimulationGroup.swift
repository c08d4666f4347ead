import Foundation
import TesseraScheduler

/// Simulated heterogeneity for some of a topology's workers, applied by the worker processes
/// themselves (``/TesseraTransport/SimulatedLinkChannel`` on their channel, a slowed device in their trainer):
/// written `WORKERS: KEY=VALUE ...`, e.g. `0-2: slowdown=5` or `3,7: latency=0.2 bandwidth=8
/// loss=0.01`. WORKERS are indices (from 0, in the launch's order: worker-000 is 0) and ranges.
public struct SimulationGroup: Sendable, Equatable, CustomStringConvertible {
    /// The workers, by index.
    public var workers: [Int]
    /// Training takes this many times as long.
    public var slowdown: Double?
    /// Seconds of latency each way.
    public var latency: Double?
    /// Megabits per second each way.
    public var bandwidth: Double?
    /// Fraction of packets lost.
    public var loss: Double?
    /// Probability of leaving after each training task.
    public var leave: Double?
    /// Seconds away each time.
    public var away: Double?
    /// Windows away by schedule, `START-END` seconds since the worker started, `+` between them.
    public var offline: String?

    /// What an entry looks like, for errors and documentation.
    public static let form = "WORKERS: KEY=VALUE ... (WORKERS: indices and ranges like 0-2,5; KEY: slowdown ≥ 1, latency seconds ≥ 0, bandwidth Mbit/s > 0, loss in [0, 1), leave in [0, 1], away seconds ≥ 0, offline START-END seconds, + between windows)"

    /// The group `text` describes, or what is wrong with it.
    public static func parse(_ text: String) -> Result<SimulationGroup, SettingError> {
        func failure(_ message: String) -> Result<SimulationGroup, SettingError> {
            .failure(SettingError(key: "simulation.groups", value: text, message: message))
        }
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return failure("must be \(form)") }
        var group = SimulationGroup(workers: [])
        for item in parts[0].split(separator: ",") {
            let bounds = item.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil, low >= 0, low <= high,
                  high < 1_000_000 else {
                return failure("has '\(item)' among its workers, which is not an index or a range like 0-2")
            }
            group.workers += Array(low...high)
        }
        for pair in parts[1].split(separator: " ", omittingEmptySubsequences: true) {
            let keyValue = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if keyValue.first == "offline", keyValue.count == 2 {
                let windows = keyValue[1].split(separator: "+").map { $0.split(separator: "-").compactMap { Double($0) } }
                guard !windows.isEmpty, windows.allSatisfy({ $0.count == 2 && $0[0] >= 0 && $0[0] < $0[1] && $0[1].isFinite }) else {
                    return failure("has offline=\(keyValue[1]); each window is START-END seconds since the worker started, + between them")
                }
                group.offline = keyValue[1].replacingOccurrences(of: "+", with: ",")
                continue
            }
            guard keyValue.count == 2, let value = Double(keyValue[1]), value.isFinite else {
                return failure("has '\(pair)', which is not KEY=NUMBER")
            }
            switch keyValue[0] {
            case "slowdown" where value >= 1: group.slowdown = value
            case "latency" where value >= 0: group.latency = value
            case "bandwidth" where value > 0: group.bandwidth = value
            case "loss" where value >= 0 && value < 1: group.loss = value
            case "leave" where value >= 0 && value <= 1: group.leave = value
            case "away" where value >= 0: group.away = value
            case "slowdown", "latency", "bandwidth", "loss", "leave", "away": return failure("has \(keyValue[0]) \(keyValue[1]) out of range; \(form)")
            default: return failure("has unknown key '\(keyValue[0])'; \(form)")
            }
        }
        guard group.slowdown != nil || group.latency != nil || group.bandwidth != nil || group.loss != nil || group.leave != nil
                || group.offline != nil else {
            return failure("simulates nothing; \(form)")
        }
        return .success(group)
    }

    public var description: String {
        var text = workers.map(String.init).joined(separator: ",") + ":"
        for (key, value) in [("slowdown", slowdown), ("latency", latency), ("bandwidth", bandwidth), ("loss", loss), ("leave", leave),
                             ("away", away)] {
            if let value { text += " \(key)=\(value)" }
        }
        if let offline { text += " offline=" + offline.replacingOccurrences(of: ",", with: "+") }
        return text
    }

    /// The `tessera worker` flags for worker `index` under `groups` (a later group's setting
    /// wins over an earlier one's).
    public static func workerArguments(for index: Int, in groups: [SimulationGroup]) -> [String] {
        var flags: [String: String] = [:]
        for group in groups where group.workers.contains(index) {
            for (flag, value) in [("--slowdown", group.slowdown), ("--latency", group.latency), ("--bandwidth", group.bandwidth),
                                  ("--loss", group.loss), ("--leave", group.leave), ("--away", group.away)] {
                if let value { flags[flag] = String(value) }
            }
            if let offline = group.offline { flags["--offline"] = offline }
        }
        return flags.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
    }
}
