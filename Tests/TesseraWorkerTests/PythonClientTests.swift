import Foundation
import TesseraTestSupport
import Testing

/// docs/PROTOCOL.md promises that a short Python client can drive a worker; this runs that
/// client (examples/python/client.py) against a live worker.
@Suite("Python client")
struct PythonClientTests {
    static let pythonReady: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import zmq, numpy"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    @Test(.enabled(if: pythonReady, "needs python3 with pyzmq and numpy (make test installs them)"))
    func pythonClientDrivesAWorker() throws {
        let (worker, endpoint) = try startWorker(id: "py")
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", "examples/python/client.py", endpoint]
        let output = Pipe()
        client.standardOutput = output
        client.standardError = output
        try client.run()
        client.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(client.terminationStatus == 0, "\(text)")
        #expect(text.contains("ok"))
        #expect(worker.stop() == 0)
    }
}
