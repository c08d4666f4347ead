import Foundation

/// Reads trace files written by ``TraceWriter`` (docs/TRACES.md), tolerating the damage a
/// killed process or a bad disk leaves: a torn last line and undecodable lines are skipped and
/// reported in ``TraceFile/problems``, never thrown. A process started again appended a header
/// of its own; the events after it are read on its clocks.
public enum TraceReader {
    /// The suffix of trace file names.
    public static let fileSuffix = ".trace.jsonl"

    /// Reads one trace file. Time and memory are linear in its size.
    ///
    /// - Throws: ``TraceError`` when the file cannot be read at all.
    public static func read(_ url: URL) throws(TraceError) -> TraceFile {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw .unreadable(url.path, reason: (error as NSError).localizedDescription)
        }
        var events: [TraceEvent] = []
        var problems: [TraceProblem] = []
        var headers: [TraceLine.Header] = []
        let decoder = JSONDecoder()
        var lineNumber = 0
        var start = data.startIndex
        let headerPrefix = Data("{\"trace\":".utf8), olderPrefix = Data("{\"kind\":".utf8)
        while start < data.endIndex {
            lineNumber += 1
            let newline = data[start...].firstIndex(of: 0x0A)
            let end = newline ?? data.endIndex
            defer { start = newline.map { $0 + 1 } ?? data.endIndex }
            guard end > start else { continue }
            let line = data[start..<end]
            func problem(_ kind: TraceProblem.Kind) { problems.append(TraceProblem(path: url.path, line: lineNumber, kind: kind)) }
            do {
                if line.starts(with: headerPrefix) {
                    let header = try decoder.decode(TraceLine.Header.self, from: line)
                    guard header.trace == TraceLine.version else {
                        problem(.unsupportedFormat(version: header.trace))
                        break
                    }
                    headers.append(header)
                } else if line.starts(with: olderPrefix) && events.isEmpty {
                    problem(.unsupportedFormat(version: 1))
                    break
                } else {
                    // Events before any header (it was damaged) have no clock to be read on.
                    guard let header = headers.last else {
                        problem(.corruptLine(reason: "no header line before it"))
                        continue
                    }
                    guard let event = try decoder.decode(TraceLine.Record.self, from: line).event(after: header) else {
                        problem(.corruptLine(reason: "neither a message nor a span"))
                        continue
                    }
                    events.append(event)
                }
            } catch {
                problem(newline == nil ? .tornLastLine : .corruptLine(reason: Self.reason(error)))
            }
        }
        let process = headers.first?.process ?? String(url.lastPathComponent.dropLast(fileSuffix.count))
        return TraceFile(url: url, process: process, events: events, problems: problems, host: headers.first?.host,
                         clock: headers.first.map { ($0.wall, $0.monoNanoseconds) })
    }

    /// Reads every `*.trace.jsonl` file in `directory`, sorted by name.
    ///
    /// - Throws: ``TraceError`` when the directory cannot be listed or holds no trace.
    public static func readDirectory(_ directory: URL) throws(TraceError) -> [TraceFile] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw .unreadable(directory.path, reason: (error as NSError).localizedDescription)
        }
        let traces = names.filter { $0.hasSuffix(fileSuffix) }.sorted()
        guard !traces.isEmpty else { throw .noTraces(in: directory.path) }
        var files: [TraceFile] = []
        for name in traces { files.append(try read(directory.appendingPathComponent(name))) }
        return files
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): "no \(key.stringValue)"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            "bad \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted: "not JSON"
        default: "\(error)"
        }
    }
}
