import Foundation
import TesseraNN
import TesseraScheduler
import Testing

/// Device files (`simulation.devices`): read with their columns in any order, refused with the
/// line and the reason when malformed, and on virtual time a device out of reach is not sampled
/// and one that leaves mid-task loses its update.
@Suite("Device files")
struct DeviceTraceTests {
    static func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-devices-\(UUID()).csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func aFileIsReadAndEachClientTakesARow() throws {
        let path = try Self.file("online,latency,mbps,flops,note\n,0.05,20,1e9,x\n0-100;200-300,0.2,2,4e8,y\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trace = try DeviceTrace(contentsOf: path)
        #expect(trace.devices.count == 2 && trace.device(of: 3) == trace.devices[1])
        #expect(trace.devices[1].bandwidth == 250_000 && trace.devices[1].isOnline(at: 250) && !trace.devices[1].isOnline(at: 150))
        #expect(trace.devices[1].staysOnline(from: 10, to: 90) && !trace.devices[1].staysOnline(from: 90, to: 110))
    }

    @Test(arguments: [("flops,mbps,online\n1e9,20,\n", "has no 'latency' column"),
                      ("flops,mbps,latency,online\n-1e9,20,0.1,\n", "line 2: flops '-1e9' must be a number > 0"),
                      ("flops,mbps,latency,online\n1e9,20,0.1,5-1\n", "online window '5-1' must be START-END"),
                      ("flops,mbps,latency,online\n1e9,20,0.1\n", "line 2: has 3 fields; the header has 4"),
                      ("flops,mbps,latency,online\n", "has no devices")])
    func aMalformedFileSaysWhereAndWhy(text: String, expected: String) throws {
        let path = try Self.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var settings = RunSettings()
        settings.clock = .virtual
        settings.devices = path
        #expect(performing: { try settings.makeVirtualDevices() }, throws: { error in
            "\(error)".hasPrefix("simulation.devices: '\(path)'") && "\(error)".contains(expected) && !"\(error)".contains(", not '")
        })
    }

    @Test func aMissingFileIsNamed() {
        var settings = RunSettings()
        settings.clock = .virtual
        settings.devices = "/nonexistent/devices.csv"
        #expect(performing: { try settings.makeVirtualDevices() }, throws: { "\($0)".contains("names no file") })
    }

    @Test func devicesNeedVirtualTime() {
        var settings = RunSettings()
        settings.devices = "devices.csv"
        #expect(performing: { try settings.validate() }, throws: { "\($0)".contains("needs simulation.clock virtual") })
    }

    /// Client 0 is out of reach at the start: never sampled in round 1; client 1 leaves 0.1 s into
    /// its task: its update is lost, and round 1 lasts the deadline.
    @Test func aDeviceOutOfReachIsNotSampledAndOneThatLeavesLosesItsUpdate() throws {
        let path = try Self.file("flops,mbps,latency,online\n1e9,20,0.05,1000-2000\n1e9,20,0.05,0-0.1\n1e9,20,0.05,\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var settings = InProcessFederation.configuration(workers: 3)
        settings.clock = .virtual
        settings.devices = path
        settings.deadline = 100
        let federation = try InProcessFederation(settings, shares: ShareSizes(training: [100, 100, 100], heldOut: [0, 0, 0]))
        let workers = try federation.join(["a", "b", "c"])
        let tasks = try workers.map { $0.tasks(in: try $0.inbox()) }
        #expect(tasks.map(\.count) == [0, 1, 1], "a is out of reach")
        for index in 1...2 { try workers[index].answer(tasks[index][0], shift: 1, samples: 100) }
        try federation.pump()
        let round = try #require(federation.rounds.first)
        #expect(round.contributors == ["c"] && round.virtualSeconds == 100)
    }
}
