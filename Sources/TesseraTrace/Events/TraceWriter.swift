import Foundation
import Logging
import Synchronization

/// Appends a process's trace events to `DIRECTORY/PROCESS.trace.jsonl` (the format of
/// `TraceLine`: a header, then a short line per event), each written to the file as it is
/// appended (one `write`, so a process killed by kill -9 leaves a trace that ends at its last
/// event, at worst with that line torn), safe to use from any thread. `tessera bench transport`
/// reports the measured cost per event.
public final class TraceWriter: Sendable {
    /// The trace file.
    public let url: URL
    /// The process name written into the file's header.
    public let process: String
    /// The monotonic time of the header, from which events count their microseconds.
    private let origin: UInt64
    private let state: Mutex<State>

    private struct State {
        var handle: FileHandle?
        /// Why writing stopped, if it did (a full disk): the trace ends there, the process goes on.
        var failure: String?
    }

    /// A writer appending to `directory/process.trace.jsonl` (created if needed).
    ///
    /// - Throws: when the directory or file cannot be created.
    public init(directory: URL, process: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let safeName = process.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        url = directory.appendingPathComponent(String(safeName) + ".trace.jsonl")
        if !FileManager.default.fileExists(atPath: url.path) {
            // A file that cannot be created makes the open below throw, naming it.
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        self.process = process
        let header = TraceLine.header(process: process)
        origin = header.origin
        state = Mutex(State(handle: handle))
        // A process started again appends to its file: its header starts its own clocks.
        var line = header.line
        state.withLock { state in line.withUTF8 { write(UnsafeRawBufferPointer($0), &state) } }
    }

    deinit {
        flush()
        state.withLock { try? $0.handle?.close() }
    }

    /// Records a message sent or received.
    public func message(peer: String, direction: String, type: String, id: UInt64, replyTo: UInt64, round: UInt64, bytes: Int,
                        at mono: UInt64 = TraceEvent.now()) {
        append(.message(process: process, peer: peer, direction: direction, type: type, id: id,
                        replyTo: replyTo, round: round, bytes: bytes, at: mono))
    }

    /// Records a span of work that began at `start` (``TraceEvent/now()``), about `round` and
    /// `peer` when given.
    public func span(_ name: String, start: UInt64, detail: String? = nil, round: UInt64? = nil, peer: String? = nil,
                     staleness: Int? = nil, virtual: VirtualSpan? = nil) {
        append(.span(process: process, name: name, start: start, detail: detail, round: round, peer: peer, staleness: staleness,
                     virtual: virtual))
    }

    /// Appends `event` to the file.
    public func append(_ event: TraceEvent) {
        var line = TraceLine.encode(event, origin: origin)
        state.withLock { state in line.withUTF8 { write(UnsafeRawBufferPointer($0), &state) } }
    }

    /// Makes the events written so far durable (`fsync`): they are in the file already, this
    /// also puts them on the disk.
    public func flush() {
        state.withLock { state in
            guard state.failure == nil, let handle = state.handle else { return }
            try? handle.synchronize()
        }
    }

    /// Why the trace stopped being written (a full disk, a removed directory), or nil. Tracing
    /// never stops a process: after a write error the writer drops events and says so here
    /// (and in a warning, once).
    public var failure: String? { state.withLock { $0.failure } }

    private func write(_ bytes: UnsafeRawBufferPointer, _ state: inout State) {
        guard state.failure == nil, let descriptor = state.handle?.fileDescriptor, var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = Foundation.write(descriptor, next, left)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                state.failure = "cannot write \(url.path): \(String(cString: strerror(errno))); the trace stops here"
                Logger(label: "tessera.trace").warning("\(state.failure ?? "")")
                return
            }
            next += written
            left -= written
        }
    }
}
