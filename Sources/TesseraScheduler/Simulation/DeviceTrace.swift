import Foundation

/// Simulated devices read from a CSV file (`simulation.devices`), one row per device, client
/// *i* taking row *i* mod rows:
///
/// ```
/// flops,mbps,latency,online
/// 1.2e9,18.5,0.04,
/// 4.0e8,2.1,0.21,0-3600;7200-10800
/// ```
///
/// `flops`: operations a second it trains at (> 0); `mbps`: its link, Mbit/s (> 0); `latency`:
/// seconds each way (≥ 0); `online`: the virtual seconds it is reachable, as `START-END` windows
/// separated by `;` (empty: always). Columns may come in any order; others are ignored.
public struct DeviceTrace: Sendable, Equatable {
    /// One device.
    public struct Device: Sendable, Equatable {
        public let flops: Double
        /// Bytes a second.
        public let bandwidth: Double
        public let latency: Double
        /// When it is reachable, in virtual seconds; empty: always.
        public let online: [ClosedRange<Double>]

        /// Whether it is reachable at virtual second `time`.
        public func isOnline(at time: Double) -> Bool {
            online.isEmpty || online.contains { $0.contains(time) }
        }

        /// Whether it stays reachable from `start` to `end`.
        public func staysOnline(from start: Double, to end: Double) -> Bool {
            online.isEmpty || online.contains { $0.contains(start) && $0.upperBound >= end }
        }
    }

    /// What is wrong with a device file, and where.
    public struct FormatError: Error, CustomStringConvertible {
        /// The file.
        public let path: String
        /// The line at fault (1: the header), nil for the file as a whole.
        public let line: Int?
        /// What is wrong.
        public let reason: String

        public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)" }
    }

    /// The devices, in file order.
    public let devices: [Device]

    /// The device of client `client`.
    public func device(of client: Int) -> Device { devices[client % devices.count] }

    /// Reads the file at `path`.
    ///
    /// - Throws: ``FormatError`` naming the file, the line and what is wrong (a missing column,
    ///   a speed that is not positive, a window that is not START-END); the file's own error
    ///   when it cannot be read.
    public init(contentsOf path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        func failure(_ line: Int?, _ message: String) -> FormatError {
            FormatError(path: path, line: line, reason: message)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) else {
            throw failure(nil, "is empty")
        }
        var columns: [String: Int] = [:]
        for name in ["flops", "mbps", "latency", "online"] {
            guard let index = header.firstIndex(of: name) else {
                throw failure(1, "has no '\(name)' column (a device file's header is flops,mbps,latency,online)")
            }
            columns[name] = index
        }
        var devices: [Device] = []
        for (offset, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let number = offset + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == header.count else { throw failure(number, "has \(fields.count) fields; the header has \(header.count)") }
            func value(_ name: String, _ accepts: (Double) -> Bool, _ rule: String) throws -> Double {
                let text = fields[columns[name]!]
                guard let value = Double(text), value.isFinite, accepts(value) else { throw failure(number, "\(name) '\(text)' must be \(rule)") }
                return value
            }
            let flops = try value("flops", { $0 > 0 }, "a number > 0")
            let mbps = try value("mbps", { $0 > 0 }, "a number > 0")
            let latency = try value("latency", { $0 >= 0 }, "a number ≥ 0")
            let windowsText = fields[columns["online"]!]
            let online = try windowsText.split(separator: ";").map { window -> ClosedRange<Double> in
                let bounds = window.split(separator: "-").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard bounds.count == 2, bounds[0] >= 0, bounds[0] < bounds[1], bounds[1].isFinite else {
                    throw failure(number, "online window '\(window)' must be START-END in virtual seconds, START < END")
                }
                return bounds[0]...bounds[1]
            }
            devices.append(Device(flops: flops, bandwidth: mbps * 1e6 / 8, latency: latency, online: online))
        }
        guard !devices.isEmpty else { throw failure(nil, "has no devices under its header") }
        self.devices = devices
    }
}
