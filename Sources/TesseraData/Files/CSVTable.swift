import Foundation

/// A CSV file of labelled numeric rows: a header line naming the columns, then one sample per
/// line (a label column of class numbers, optionally a client column of any text, and numeric
/// features in every other column). Opening reads labels and clients and notes where each row
/// starts; features are parsed only for the rows asked for, so a worker parses its share.
struct CSVTable: Sendable {
    /// The file, for errors.
    let path: String
    /// The feature columns' names, in order.
    let featureNames: [String]
    /// Each row's label, as written.
    let labels: [Int64]
    /// Each row's client, numbered by first appearance (when the file has a client column).
    let clients: [Int64]?
    /// The mapped file.
    private let data: Data
    /// Where each data row starts and its line number (1-based), for errors.
    private let rowStarts: [Int], lineNumbers: [Int]
    /// Positions of the label, client and feature columns.
    private let labelIndex: Int, clientIndex: Int?, featureIndices: [Int]
    private let columnCount: Int

    /// Opens the CSV at `url` (mapped) with the label in `labelColumn` and clients in
    /// `clientColumn` (nil: a column named `client` if there is one).
    ///
    /// - Throws: ``DataError`` naming the file and line for a missing header or column, a ragged
    ///   row, or a label that is not a whole number.
    init(url: URL, data: Data, labelColumn: String, clientColumn: String?) throws {
        let path = url.path
        var lines = Self.lines(of: data)
        guard let header = lines.first else { throw DataError.malformed(path, "is empty; it needs a header line naming the columns") }
        lines.removeFirst()
        let names = data.withUnsafeBytes { Self.fields(of: $0, line: header.range).map { String(decoding: $0, as: UTF8.self) } }
        let columns = names.count
        guard let label = names.firstIndex(of: labelColumn) else {
            throw DataError.malformed(path, "no column '\(labelColumn)' (data.label_column) in the header; the columns are: \(names.joined(separator: ", "))")
        }
        if let clientColumn, !names.contains(clientColumn) {
            throw DataError.malformed(path, "no column '\(clientColumn)' (data.client_column) in the header; the columns are: \(names.joined(separator: ", "))")
        }
        let client = names.firstIndex(of: clientColumn ?? "client")
        let features = names.indices.filter { $0 != label && $0 != client }
        guard !features.isEmpty else { throw DataError.malformed(path, "has no feature columns besides the label and client") }
        var labels: [Int64] = [], clients: [Int64] = [], clientNumbers: [String: Int64] = [:]
        labels.reserveCapacity(lines.count)
        try data.withUnsafeBytes { bytes in
            for line in lines {
                let fields = Self.fields(of: bytes, line: line.range)
                guard fields.count == columns else {
                    throw DataError.malformed(path, "line \(line.number) has \(fields.count) fields, the header has \(columns) (a ragged row)")
                }
                let text = String(decoding: fields[label], as: UTF8.self)
                guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), value >= 0, value < DataOptions.maximumClasses else {
                    throw DataError.malformed(path, "line \(line.number): label '\(text)' is not a class number (0, 1, 2, ... below \(DataOptions.maximumClasses))")
                }
                labels.append(value)
                if let client {
                    let name = String(decoding: fields[client], as: UTF8.self)
                    let number = clientNumbers[name] ?? Int64(clientNumbers.count)
                    clientNumbers[name] = number
                    clients.append(number)
                }
            }
        }
        self.path = path
        self.data = data
        columnCount = columns
        labelIndex = label
        clientIndex = client
        featureIndices = features
        featureNames = features.map { names[$0] }
        self.labels = labels
        self.clients = client == nil ? nil : clients
        rowStarts = lines.map(\.range.lowerBound)
        lineNumbers = lines.map(\.number)
    }

    /// The features of the rows at `indices`, in that order.
    ///
    /// - Throws: ``DataError`` naming the line and column of a value that is not a finite number.
    func features(_ indices: [Int]) throws -> SampleValues {
        var values: [Float] = []
        values.reserveCapacity(indices.count * featureIndices.count)
        try data.withUnsafeBytes { bytes in
            for row in indices {
                guard row >= 0 && row < rowStarts.count else {
                    throw DataError(.invalidArgument, "\(path): row \(row) is outside 0..<\(rowStarts.count)")
                }
                var end = rowStarts[row]
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                let fields = Self.fields(of: bytes, line: rowStarts[row]..<end)
                for (position, column) in featureIndices.enumerated() {
                    let text = String(decoding: fields[column], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    guard let value = Float(text), value.isFinite else {
                        throw DataError.malformed(path, "line \(lineNumbers[row]), column '\(featureNames[position])': '\(text)' is not a finite number")
                    }
                    values.append(value)
                }
            }
        }
        return .floats(values)
    }

    /// The non-blank lines' byte ranges (without the line break) and line numbers.
    private static func lines(of data: Data) -> [(range: Range<Int>, number: Int)] {
        data.withUnsafeBytes { bytes in
            var lines: [(Range<Int>, Int)] = []
            var start = 0, number = 1
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                var content = end
                if content > start && bytes[content - 1] == 0x0D { content -= 1 }
                if bytes[start..<content].contains(where: { $0 != 0x20 && $0 != 0x09 }) { lines.append((start..<content, number)) }
                start = end + 1
                number += 1
            }
            return lines
        }
    }

    /// The comma-separated fields of `line`: double quotes protect commas, `""` is a quote.
    private static func fields(of bytes: UnsafeRawBufferPointer, line: Range<Int>) -> [[UInt8]] {
        var fields: [[UInt8]] = [], current: [UInt8] = [], quoted = false
        var index = line.lowerBound
        var end = line.upperBound
        if end > index && bytes[end - 1] == 0x0D { end -= 1 }
        while index < end {
            let byte = bytes[index]
            if quoted {
                if byte == 0x22 {
                    if index + 1 < end && bytes[index + 1] == 0x22 { current.append(0x22); index += 1 } else { quoted = false }
                } else {
                    current.append(byte)
                }
            } else if byte == 0x22 {
                quoted = true
            } else if byte == 0x2C {
                fields.append(current)
                current = []
            } else {
                current.append(byte)
            }
            index += 1
        }
        fields.append(current)
        return fields
    }
}
