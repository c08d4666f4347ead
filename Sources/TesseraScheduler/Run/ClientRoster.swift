import Foundation

/// The run's clients as `clients.json` in its run directory records them for reports: for each
/// client (by index), the worker that holds it, the samples it trains on and holds out, and how
/// many of each label it trains on.
struct ClientRoster: Encodable {
    struct Client: Encodable {
        var index: Int
        var worker: String?
        var samples: Int
        var heldOut: Int
        var labels: [Int]
    }

    var clients: [Client]

    /// Writes `clients.json` into `directory`.
    func write(into directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(self).write(to: directory.appendingPathComponent("clients.json"), options: .atomic)
    }
}
