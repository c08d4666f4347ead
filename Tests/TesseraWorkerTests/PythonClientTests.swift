import Foundation
import TesseraTestSupport
import Testing

/// docs/PROTOCOL.md promises that a short Python client can drive a worker; this runs that
/// client (examples/python/client.py) against a live worker.
@Suite("Python client")
struct PythonClientTests {
    @Test(.enabled(if: pythonWithZMQ, "needs python3 with pyzmq and numpy (make test installs them)"))
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
