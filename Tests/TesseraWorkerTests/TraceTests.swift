import Foundation
import TesseraTestSupport
import Testing
import TesseraTensor
import TesseraTrace
import TesseraTransport
import TesseraWire

@Suite("Message traces", .serialized)
struct TraceTests {
    static func events(in url: URL) throws -> [TraceEvent] {
        let file = try TraceReader.read(url)
        #expect(file.problems.isEmpty, "\(file.problems)")
        return file.events
    }

    @Test func workerAndClientTraceEveryMessage() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-trace-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (worker, endpoint) = try startWorker(id: "tracey", extra: ["--trace-dir", directory.path])
        do {
            let tracer = try TraceWriter(directory: directory, process: "client")
            let client = try RequestClient(connectingTo: endpoint, tracer: tracer)
            _ = try client.request(.put(id: 1, tensor: Tensor([1, 2, 3])))
            _ = try client.request(.exec(PlanStep(op: .relu, inputs: [1], output: 2)))
            _ = try client.requestRaw([Data([1, 2, 3])])
            tracer.flush()
        }
        #expect(worker.stop() == 0)

        let client = try Self.events(in: directory.appendingPathComponent("client.trace.jsonl"))
        #expect(client.map { "\($0.direction ?? "") \($0.type ?? "")" } == ["send put", "recv done", "send exec", "recv done", "send raw", "recv error"])
        let put = try #require(client.first)
        #expect(put.bytes == 28 + 14 + 12 && put.messageID == 1 && put.process == "client")

        let serving = try Self.events(in: directory.appendingPathComponent("tracey.trace.jsonl"))
        let received = serving.filter { $0.direction == "recv" }
        #expect(received.map { $0.type ?? "" } == ["put", "exec", "malformed"])
        let replies = serving.filter { $0.direction == "send" }
        #expect(replies.map { $0.replyTo ?? 0 } == [1, 2, 0])
        let exec = try #require(serving.first { $0.kind == "span" && $0.name == "exec" })
        #expect(exec.detail == "relu" && (exec.startNanoseconds ?? .max) <= exec.monoNanoseconds)
    }

    /// A trace that cannot be written (its file is /dev/full: ENOSPC, as on a full disk) stops
    /// with its reason; the process using it goes on.
    @Test func aFullDiskStopsTheTraceNotTheProcess() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fulltrace-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("full.trace.jsonl").path,
                                                   withDestinationPath: "/dev/full")
        let tracer = try TraceWriter(directory: directory, process: "full")
        for index in 0..<5_000 { tracer.span("work", start: TraceEvent.now(), detail: "event \(index)") }
        tracer.flush()
        #expect(tracer.failure?.contains("full.trace.jsonl") == true, "\(tracer.failure ?? "no failure")")
        tracer.span("after", start: TraceEvent.now())
        tracer.flush()
    }
}
