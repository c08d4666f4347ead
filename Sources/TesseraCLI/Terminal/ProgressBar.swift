import Foundation

/// A one-line progress bar on standard error, redrawn in place; silent when standard error is
/// not a terminal or when disabled.
struct ProgressBar {
    let total: Int
    let label: String
    let unit: String
    let enabled: Bool
    private var done = 0
    private var lastDraw = 0.0
    private let start = Date()

    init(total: Int, label: String, unit: String = "samples", enabled: Bool) {
        self.total = total
        self.label = label
        self.unit = unit
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    /// Advances by `count` and redraws at most ten times a second.
    mutating func advance(by count: Int, detail: String) {
        done += count
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        guard elapsed - lastDraw >= 0.1 || done >= total else { return }
        lastDraw = elapsed
        let width = 30
        let filled = total > 0 ? min(width, width * done / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let line = "\r\(label) [\(bar)] \(done)/\(total) \(String(format: "%.1f", rate)) \(unit)/s \(detail)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends the line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
