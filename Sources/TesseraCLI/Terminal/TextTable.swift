import Foundation

/// Rows of text cells printed in aligned columns: the first column left-aligned (names), the
/// others right-aligned (numbers).
struct TextTable {
    /// Column titles.
    let header: [String]
    /// Cells, one array per row, as many as `header`.
    var rows: [[String]] = []

    init(_ header: [String]) {
        self.header = header
    }

    /// Adds a row.
    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table's lines, two spaces between columns.
    var lines: [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
    }
}

/// Formats for tables.
enum Format {
    /// Bytes with a binary unit: 512 B, 1.5 KiB, 761.2 MiB.
    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        switch value {
        case ..<1024: return "\(count) B"
        case ..<(1024 * 1024): return String(format: "%.1f KiB", value / 1024)
        case ..<(1024 * 1024 * 1024): return String(format: "%.1f MiB", value / 1024 / 1024)
        default: return String(format: "%.2f GiB", value / 1024 / 1024 / 1024)
        }
    }

    /// Seconds with three decimals, or "-" for none.
    static func seconds(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.3f", value)
    }

    /// A latency: microseconds, milliseconds or seconds, whichever reads best.
    static func latency(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        switch abs(value) {
        case ..<0.001: return String(format: "%.0f µs", value * 1e6)
        case ..<1: return String(format: "%.1f ms", value * 1e3)
        default: return String(format: "%.2f s", value)
        }
    }
}
