import Foundation

/// Runs of different topologies side by side (`tessera compare`): accuracy against seconds
/// since each launch on one chart, the target accuracy marked, the comparison table, and links
/// to each run's own report. One self-contained HTML file, like ``RunReport``.
public struct ComparisonReport {
    /// One run compared.
    public struct Run {
        /// The topology's name.
        public var name: String
        /// Its evaluations: seconds since its launch, accuracy in [0, 1].
        public var evaluations: [(seconds: Double, accuracy: Double)]
        /// Its run directory (its report.html is linked).
        public var directory: URL

        /// A run named `name` that evaluated `evaluations`, kept in `directory`.
        public init(name: String, evaluations: [(seconds: Double, accuracy: Double)], directory: URL) {
            (self.name, self.evaluations, self.directory) = (name, evaluations, directory)
        }
    }

    /// The runs, in the order run.
    public var runs: [Run]
    /// The target accuracy.
    public var target: Double
    /// The comparison table, as printed.
    public var table: String

    /// A comparison of `runs` against `target`, with `table` as printed.
    public init(runs: [Run], target: Double, table: String) {
        (self.runs, self.target, self.table) = (runs, target, table)
    }

    /// The HTML document.
    public func html() -> String {
        let end = runs.flatMap(\.evaluations).map(\.seconds).max() ?? 1
        var series = runs.enumerated().map { index, run in
            SVGPlot.Series(name: run.name, color: RunReport.palette[index % RunReport.palette.count],
                           points: run.evaluations.map { ($0.seconds, $0.accuracy * 100) })
        }
        series.append(SVGPlot.Series(name: String(format: "target %.2f%%", target * 100), color: "#8a93a5",
                                     points: [(0, target * 100), (end, target * 100)]))
        let chart = SVGPlot.lines("comparison", series, xLabel: "seconds since the launch", yLabel: "accuracy %", fromZero: false,
                                  format: { String(format: "%.4g", $0) })
        let links = runs.map { run in
            let report = run.directory.appendingPathComponent("report.html")
            return "<li>\(HTML.escape(run.name)): <a href=\"\(HTML.escape(report.absoluteString))\">\(HTML.escape(run.directory.path))</a></li>"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Tessera comparison</title><style>\(RunReport.style)</style></head>
            <body><main>
            <h1>\(HTML.escape(runs.map(\.name).joined(separator: " vs ")))</h1>
            <h2>Accuracy over time</h2>\(chart)
            <h2>Time to the target</h2><pre data-section="table">\(HTML.escape(table))</pre>
            <h2>Runs</h2><ul>\(links.joined())</ul>
            <footer>Written by tessera compare.</footer>
            </main></body></html>

            """
    }
}
