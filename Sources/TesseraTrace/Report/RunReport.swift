import Foundation

/// A run's report: one self-contained HTML file (no scripts, fonts or requests; inline SVG
/// charts readable without JavaScript) with the accuracy and loss per round, the ε a private run
/// spent, each round's time
/// broken down, bytes per round, a per-process timeline, each client's labels, the staleness
/// of an asynchronous run's updates, the topology and command, and the environment; on virtual
/// time also accuracy against the virtual clock and the clients' tasks on it.
public struct RunReport {
    /// The run directory.
    public let directory: URL
    let files: RunFiles
    let trace: RunTrace?
    let summary: TraceSummary?

    /// Reads what `directory` holds. A run without traces still gets a report (without the
    /// charts that need them).
    public init(directory: URL) {
        self.directory = directory
        files = RunFiles(directory: directory)
        trace = try? RunTrace(directory: directory)
        summary = trace.map(TraceSummary.init)
    }

    /// The fields a private run's metrics withheld (privacy.private_metrics), and those they
    /// kept that ε does not cover.
    var withheld: [String] { files.metrics.last?["withheld"] as? [String] ?? [] }
    var outsideEpsilon: [String] { files.metrics.last?["outsideEpsilon"] as? [String] ?? [] }

    /// Damage found in the traces, each skipped.
    public var problems: [TraceProblem] { trace?.problems ?? [] }

    /// The HTML document.
    public func html() -> String {
        let name = files.topologyName ?? directory.lastPathComponent
        var sections = [header(name: name), accuracy()] + (onVirtualTime ? [accuracyOnVirtualTime()] : []) + [loss()]
            + [privacy()].compactMap { $0 }
        // A private run under privacy.private_metrics: nothing per worker or per round's
        // participation, which ε does not cover (the traces' sections and the clients' labels).
        if withheld.isEmpty {
            sections += [durations(), bytes(), timeline()] + (onVirtualTime ? [virtualTimeline()] : []) + [labels()]
            if summary?.asynchronous == true { sections.append(staleness()) }
        }
        sections += [configuration(), environment()]
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(name)) — Tessera run report</title>
            <style>\(Self.style)</style></head>
            <body><main>
            \(sections.joined(separator: "\n"))
            <footer>Written by tessera report from \(HTML.escape(directory.path)).</footer>
            </main></body></html>

            """
    }

    /// Writes the report to `url` (default `report.html` in the run directory) and returns where.
    ///
    /// - Throws: when the file cannot be written.
    @discardableResult
    public func write(to url: URL? = nil) throws -> URL {
        let target = url ?? directory.appendingPathComponent("report.html")
        try Data(html().utf8).write(to: target, options: .atomic)
        return target
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#fff;margin:0}
        main{max-width:900px;margin:0 auto;padding:24px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px;border-bottom:1px solid #e3e6ec;padding-bottom:4px}
        .meta{color:#5b6475;margin:0 0 8px}.facts{display:flex;flex-wrap:wrap;gap:8px 24px;margin:12px 0}
        .facts div{min-width:120px}.facts b{display:block;font-size:18px}
        svg{max-width:100%;height:auto;font-size:11px;fill:#1d2330}svg .grid{stroke:#eceef2}svg .axis{stroke:#8a93a5}
        pre{background:#f6f7f9;padding:10px;overflow:auto;font-size:12px}table{border-collapse:collapse}
        td,th{padding:2px 12px 2px 0;text-align:left;vertical-align:top}th{color:#5b6475;font-weight:normal}
        .note{color:#5b6475;font-size:12px}footer{margin-top:32px;color:#8a93a5;font-size:12px}
        """
}
