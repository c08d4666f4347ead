import Foundation
import TesseraScheduler
import TesseraTestSupport
import Testing

/// Whether python3 runs here (the converter is a script).
private let python: Bool = {
    guard let check = try? ProcessHarness(program: "python3", ["-c", "pass"]) else { return false }
    return check.waitForExit(timeout: 20) == 0
}()

/// `scripts/fedscale_devices.py`: FedScale's device traces (pickled dictionaries) become a
/// device file that Tessera reads, with compute, link and availability mapped as documented.
@Suite("FedScale device traces", .enabled(if: python, "python3 is not installed"))
struct FedScaleDevicesTests {
    @Test func capacitiesAndBehaveTracesBecomeADeviceFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fedscale-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let capacity = directory.appendingPathComponent("client_device_capacity").path
        let behave = directory.appendingPathComponent("client_behave_trace").path
        // Two clients (listed out of id order), as FedScale's files hold them.
        let write = try ProcessHarness(program: "python3", ["-c", """
            import pickle
            pickle.dump({7: {'computation': 50.0, 'communication': 8000.0}, 3: {'computation': 200.0, 'communication': 2000.0}}, open('\(capacity)', 'wb'))
            pickle.dump({3: {'duration': 100, 'inactive': [40, 90], 'finish_time': 100, 'active': [10, 60], 'model': 'x'},
                         7: {'duration': 100, 'inactive': [100], 'finish_time': 100, 'active': [0], 'model': 'x'}}, open('\(behave)', 'wb'))
            """], includingErrors: true)
        #expect(write.waitForExit(timeout: 30) == 0, "\(write.outputLines)")
        let convert = try ProcessHarness(program: "python3", ["scripts/fedscale_devices.py", capacity, behave, "--reference-parameters", "1000",
                                                              "--horizon", "250"])
        #expect(convert.waitForExit(timeout: 30) == 0)
        let file = directory.appendingPathComponent("devices.csv")
        try (convert.outputLines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let devices = try DeviceTrace(contentsOf: file.path).devices
        #expect(devices.count == 2)
        // Client 3 first: 200 ms a sample for a 1,000-parameter model is 2,000 / 0.2 = 10,000
        // FLOP/s (so 6 x 1,000 FLOPs a sample take 0.6 s, FedScale's 3 x 200 ms); 2,000 kbit/s.
        #expect(devices[0].flops == 10_000 && devices[0].bandwidth == 2e6 / 8 && devices[0].latency == 0)
        // Its windows repeat every 100 s, cut at the horizon.
        #expect(devices[0].online == [10...40, 60...90, 110...140, 160...190, 210...240])
        #expect(devices[1].flops == 40_000 && devices[1].online == [0...100, 100...200, 200...250])
    }

    @Test func aBadCapacityIsOneLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fedscale-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let capacity = directory.appendingPathComponent("capacity").path
        let write = try ProcessHarness(program: "python3", ["-c", "import pickle; pickle.dump({1: {'computation': -5, 'communication': 10}}, open('\(capacity)', 'wb'))"])
        #expect(write.waitForExit(timeout: 30) == 0)
        let convert = try ProcessHarness(program: "python3", ["scripts/fedscale_devices.py", capacity], includingErrors: true)
        #expect(convert.waitForExit(timeout: 30) == 1)
        #expect(convert.outputLines.contains { $0.contains("client 1: computation and communication must be positive") }, "\(convert.outputLines)")
    }
}
