import Foundation

/// The files of a run directory a report reads besides the traces, each optional: a run
/// killed early, or started by `tessera scheduler` rather than `tessera launch`, lacks some.
struct RunFiles {
    /// `metrics.jsonl`: one object per round (or evaluated server step).
    var metrics: [[String: Any]] = []
    /// `clients.json`'s clients: index, worker, samples, held_out, labels.
    var clients: [[String: Any]] = []
    /// `environment.json`.
    var environment: [String: Any] = [:]
    /// `status.json`.
    var status: [String: Any] = [:]
    /// `topology.yaml`, as written.
    var topology: String?

    init(directory: URL) {
        func data(_ name: String) -> Data? { try? Data(contentsOf: directory.appendingPathComponent(name)) }
        func object(_ name: String) -> [String: Any] {
            data(name).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        }
        metrics = (data("metrics.jsonl").map { String(decoding: $0, as: UTF8.self) } ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        clients = object("clients.json")["clients"] as? [[String: Any]] ?? []
        environment = object("environment.json")
        status = object("status.json")
        topology = data("topology.yaml").map { String(decoding: $0, as: UTF8.self) }
    }

    /// The topology's `name`, when the snapshot has one.
    var topologyName: String? {
        topology?.split(separator: "\n").first { $0.hasPrefix("name:") }.map {
            $0.dropFirst(5).trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
        }
    }

    /// A metric of each round, with the round number.
    func series(_ key: String, in parent: String? = nil) -> [(x: Double, y: Double)] {
        metrics.compactMap { row in
            guard let round = row["round"] as? Double ?? (row["round"] as? Int).map(Double.init) else { return nil }
            let holder = parent.map { row[$0] as? [String: Any] ?? [:] } ?? row
            return (holder[key] as? Double).map { (round, $0) }
        }
    }
}
