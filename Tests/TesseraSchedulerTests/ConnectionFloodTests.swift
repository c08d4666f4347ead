import Foundation
import TesseraTestSupport
import Testing

/// A scheduler flooded with TCP connections that never speak ZeroMQ, or send half a greeting
/// and stop (slow loris), keeps its run: connections past its limit are dropped, its files
/// still open, and the run completes with its workers.
@Suite("A scheduler under a connection flood", .serialized)
struct ConnectionFloodTests {
    /// Opens a TCP connection to 127.0.0.1:`port` without waiting for it; returns its descriptor.
    static func connect(to port: UInt16) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return descriptor
    }

    /// The scheduler may hold 1,024 files (soft and hard, so it cannot raise them); 2,000
    /// connections come in mid-run, a quarter of them sending the first 5 bytes of a greeting.
    @Test func twoThousandIdleConnectionsDoNotStopARunLimitedTo1024Files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-flood-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let scheduler = try ProcessHarness(["scheduler", "--bind", "tcp://127.0.0.1:0", "--workers", "2", "--rounds", "4", "--model", "logreg",
                                            "--data", "synthetic", "--deadline", "60", "--run-dir", directory.path],
                                           wrapper: ["/usr/bin/prlimit", "--nofile=1024:1024", "--"], includingErrors: true)
        defer { _ = scheduler.stop() }
        let endpoint = String(try scheduler.waitForLine(containing: "listening on").split(separator: " ").last ?? "")
        let port = try #require(endpoint.split(separator: ":").last.flatMap { UInt16($0) })
        let workers = try (0..<2).map {
            try ProcessHarness(["worker", "--connect", endpoint, "--id", "w\($0)", "--data", "synthetic", "--slow", "1", "--no-trace"])
        }
        defer { for worker in workers { _ = worker.stop() } }
        _ = try scheduler.waitForLine(containing: "round 1:", timeout: 120)
        var flood: [Int32] = []
        defer { for descriptor in flood { close(descriptor) } }
        for index in 0..<2_000 {
            let descriptor = Self.connect(to: port)
            flood.append(descriptor)
            if index % 4 == 0 { _ = write(descriptor, [0xFF, 0, 0, 0, 0], 5) }
        }
        _ = try scheduler.waitForLine(containing: "final accuracy", timeout: 120)
        #expect(scheduler.waitForExit(timeout: 30) == 0)
        #expect(scheduler.outputLines.contains { $0.contains("connection(s) refused") }, "\(scheduler.outputLines.suffix(5))")
        let rounds = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rounds.count == 4)
    }
}
