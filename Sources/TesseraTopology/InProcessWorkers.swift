import CTesseraKernel
import Foundation
import Synchronization
import TesseraTrace
import TesseraTransport
import TesseraWire
import TesseraWorker

/// A topology's worker processes run as threads of the launching process (`workers.launch:
/// in-process`): each a ``/TesseraWorker/WorkerRuntime`` hosting its clients, connected to the
/// scheduler over an ``/TesseraTransport/InProcessHub`` instead of a socket. The messages are the
/// protocol's, encoded and decoded as over TCP, but nothing crosses the kernel, and a task sent
/// to many clients is one buffer in memory. What processes would give and threads do not —
/// a crash confined to one worker, CURVE between them, per-worker link simulation — is not
/// there: this is for simulating populations on one machine.
final class InProcessWorkers: Sendable {
    /// The address the scheduler binds on the hub.
    static let address = "local://scheduler"

    private let stopping = Atomic<Bool>(false)
    private let running = DispatchGroup()
    /// Why runtimes stopped before the run ended, not yet reported.
    private let failures = Mutex<[String]>([])

    /// Starts a runtime for each of `topology`'s worker processes, on its own thread, connected
    /// to the scheduler bound at ``address`` on `hub`; traces in `traces` when given.
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` or trace errors when one cannot be made
    ///   (those already started are stopped).
    init(topology: Topology, hub: InProcessHub, traces: URL?) throws {
        do {
            for index in 0..<topology.processCount {
                let id = Launcher.workerID(index)
                let first = index * topology.clientsPerProcess
                let clients = topology.clientsPerProcess > 1 ? min(topology.clientsPerProcess, topology.run.workers - first) : 0
                try start(id: id, clients: clients, hub: hub, tracer: try traces.map { try TraceWriter(directory: $0, process: id) })
            }
        } catch {
            stop()
            throw error
        }
    }

    private func start(id: String, clients: Int, hub: InProcessHub, tracer: TraceWriter?) throws {
        let service = WorkerService(workerID: id, store: ObjectStore(maximumObjects: 100_000, maximumBytes: 4 << 30))
        // Made here, used only by its thread from then on.
        nonisolated(unsafe) let runtime = try WorkerRuntime(service: service, endpoint: .connect(Self.address), tracer: tracer,
                                                            transport: .inProcess(hub))
        runtime.hostedClients = clients
        running.enter()
        let thread = Thread { [self] in
            defer { running.leave() }
            tessera_name_this_thread("tessera-host")
            do {
                try runtime.run(until: { stopping.load(ordering: .relaxed) })
            } catch {
                failures.withLock { $0.append("\(id) stopped: \(error); the run goes on without its clients") }
            }
        }
        thread.start()
    }

    /// Runtimes that stopped on an error since the last call, each said once.
    func takeFailures() -> [String] {
        failures.withLock { failures in
            defer { failures = [] }
            return failures
        }
    }

    /// Asks every runtime to stop (each says bye for its clients if the scheduler has not
    /// dismissed them) and waits for them, at most 5 s.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        _ = running.wait(timeout: .now() + 5)
    }
}
