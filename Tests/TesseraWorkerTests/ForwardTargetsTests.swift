import Testing
import TesseraTransport
import TesseraWorker

/// Which endpoints a forward may go to: whatever a peer names, the answer is a rule's, never a trap.
@Suite("Forward targets")
struct ForwardTargetsTests {
    /// "tcp://" and its kin once trapped the worker (a range ending before it started) when a
    /// mutated forward named them; the live fuzz test found it.
    @Test("endpoints without a host or port are refused, not trapped on",
          arguments: ["tcp://", "tcp:/", "tcp://:", "tcp://:5", "tcp", "", ":", "tcp://127.0.0.1"])
    func malformedEndpointsAreRefused(endpoint: String) {
        #expect(throws: WorkerError.self) { try ForwardTargets().security(for: endpoint) }
    }

    @Test func loopbackEndpointsAreAllowedWithoutBeingListed() throws {
        for endpoint in ["tcp://127.0.0.1:5555", "tcp://localhost:1", "tcp://[::1]:9", "ipc:///tmp/x", "local://w"] {
            #expect(Endpoint.isLoopback(endpoint))
            _ = try ForwardTargets().security(for: endpoint)
        }
        #expect(!Endpoint.isLoopback("tcp://10.0.0.5:5555"))
        #expect(!Endpoint.isLoopback("tcp://*:5555"))
    }
}
