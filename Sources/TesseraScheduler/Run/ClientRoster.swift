import Foundation

/// The run's clients as `clients.json` in its run directory records them for reports: for each
/// client (by index), the worker that holds it, the samples it trains on and holds out, and how
/// many of each label it trains on; for a worker that brought its own data, what it registered
/// and the most samples its updates may claim (what it is held to). A run of more than
/// ``maximumClients`` clients writes none: a simulated population's shares are rebuilt from the
/// seed, and a million clients' records take seconds each round to write.
struct ClientRoster: Encodable {
    /// The most clients a roster records.
    static let maximumClients = 100_000

    struct Client: Encodable {
        var index: Int
        var worker: String?
        var samples: Int
        var heldOut: Int
        var labels: [Int]
        /// Samples its worker registered (0: it trains on its share of the run's data).
        var registeredSamples: UInt64 = 0
        /// The most samples its worker's updates may claim.
        var sampleLimit: UInt64?
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
