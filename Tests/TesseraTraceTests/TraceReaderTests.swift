import Foundation
import Testing
import TesseraTrace

/// Reading damaged trace files: what a killed process or a bad disk leaves is skipped and
/// reported, and everything else is read.
@Suite("Reading traces")
struct TraceReaderTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-reader-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ count: Int, to directory: URL, process: String = "worker-000") throws -> URL {
        let writer = try TraceWriter(directory: directory, process: process)
        for index in 0..<count {
            writer.message(peer: "scheduler", direction: index % 2 == 0 ? "recv" : "send", type: "train task",
                           id: UInt64(index + 1), replyTo: 0, round: 1, bytes: 100 + index)
        }
        return writer.url
    }

    static func append(_ bytes: [UInt8], to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    @Test func aTornLastLineIsReportedAndEverythingBeforeItRead() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try Self.write(5, to: directory)
        try Self.append(Array(#"{"kind":"message","wall":17961548"#.utf8), to: url)
        let file = try TraceReader.read(url)
        #expect(file.events.count == 5)
        #expect(file.events.last?.messageID == 5 && file.events.last?.bytes == 104)
        // Line 1 is the header.
        #expect(file.problems == [TraceProblem(path: url.path, line: 7, kind: .tornLastLine)])
        #expect(file.problems.first?.description.contains("line 7 is cut off") == true)
        #expect(file.process == "worker-000")
    }

    @Test func corruptLinesAreSkippedAndTheRestRead() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try Self.write(2, to: directory)
        // A block of zeros (what a crash can leave on some file systems), text, an object
        // that is not an event, then good events again.
        try Self.append([UInt8](repeating: 0, count: 64) + [0x0A] + Array("not json\n{\"kind\":\"span\"}\n".utf8), to: url)
        let writer = try TraceWriter(directory: directory, process: "worker-000")
        writer.span("train", start: TraceEvent.now(), round: 1)
        let file = try TraceReader.read(url)
        #expect(file.events.count == 3)
        #expect(file.events.last?.name == "train" && file.events.last?.round == 1)
        #expect(file.problems.map(\.line) == [4, 5, 6])
        #expect(file.problems.allSatisfy { if case .corruptLine = $0.kind { true } else { false } })
    }

    @Test func anEmptyFileHasNoEventsAndItsProcessFromItsName() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("worker-007.trace.jsonl")
        try Data().write(to: url)
        let file = try TraceReader.read(url)
        #expect(file.events.isEmpty && file.problems.isEmpty && file.process == "worker-007")
    }

    @Test func aDirectoryWithoutTracesSaysSo() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect { try RunTrace(directory: directory) } throws: { "\($0)".contains("no traces in") }
        #expect { try RunTrace(directory: directory.appendingPathComponent("missing")) } throws: { "\($0)".contains("cannot read") }
    }
}
