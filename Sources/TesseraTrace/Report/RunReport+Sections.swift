import Foundation

extension RunReport {
    static let palette = ["#3367d6", "#e8710a", "#1e8e3e", "#d93025", "#9334e6", "#12b5cb", "#f9ab00", "#5f6368", "#e52592", "#7cb342"]

    func header(name: String) -> String {
        let state = files.status["state"] as? String ?? "unknown"
        // The last round evaluated (`training.evaluate_every` leaves some rounds without).
        let accuracy = files.series("accuracy").last.map { String(format: "%.2f%%", $0.y * 100) } ?? "-"
        let rounds = files.metrics.count
        let wall = summary.map { String(format: "%.1f s", $0.duration) } ?? "-"
        let facts = [("status", state), (summary?.asynchronous == true ? "evaluations" : "rounds", "\(rounds)"), ("final accuracy", accuracy),
                     ("traced time", wall), ("processes", "\(trace?.processes.count ?? 0)")]
        return """
            <h1>\(HTML.escape(name))</h1>
            <p class="meta">\(HTML.escape(directory.lastPathComponent))\((files.status["started"] as? String).map { " · started \(HTML.escape($0))" } ?? "")\((files.status["error"] as? String).map { " · \(HTML.escape($0))" } ?? "")</p>
            <div class="facts">\(facts.map { "<div>\(HTML.escape($0.0))<b>\(HTML.escape($0.1))</b></div>" }.joined())</div>
            """
    }

    func accuracy() -> String {
        var series = [SVGPlot.Series(name: "test set", color: Self.palette[0], points: files.series("accuracy").map { ($0.x, $0.y * 100) })]
        let federated = files.series("accuracy", in: "federated")
        if !federated.isEmpty { series.append(SVGPlot.Series(name: "workers' held-out data", color: Self.palette[1], points: federated.map { ($0.x, $0.y * 100) })) }
        return section("Accuracy", files.metrics.isEmpty ? nil : SVGPlot.lines("accuracy", series, xLabel: xLabel, yLabel: "accuracy %", fromZero: false,
                                                                                      format: { String(format: "%.4g", $0) }))
    }

    func loss() -> String {
        var series = [SVGPlot.Series(name: "test loss", color: Self.palette[0], points: files.series("loss"))]
        let training = files.series("trainLoss")
        if !training.isEmpty { series.append(SVGPlot.Series(name: "training loss (updates)", color: Self.palette[1], points: training)) }
        let federated = files.series("loss", in: "federated")
        if !federated.isEmpty { series.append(SVGPlot.Series(name: "held-out loss", color: Self.palette[2], points: federated)) }
        return section("Loss", files.metrics.isEmpty ? nil : SVGPlot.lines("loss", series, xLabel: xLabel, yLabel: "loss", fromZero: false,
                                                                                  format: { String(format: "%.3g", $0) }))
    }

    /// A private run's ε per round (central, and local when workers add noise).
    func privacy() -> String? {
        let central = files.series("epsilon", in: "privacy"), local = files.series("localEpsilon", in: "privacy")
        guard !central.isEmpty || !local.isEmpty else { return nil }
        var series: [SVGPlot.Series] = []
        if !central.isEmpty { series.append(SVGPlot.Series(name: "ε (central)", color: Self.palette[0], points: central)) }
        if !local.isEmpty { series.append(SVGPlot.Series(name: "ε (local, one worker)", color: Self.palette[1], points: local)) }
        let delta = (files.metrics.last?["privacy"] as? [String: Any])?["delta"] as? Double
        let scope = !withheld.isEmpty
            ? " This report keeps only what ε covers: participation, training losses, held-out evaluations and the clients' data are left out (privacy.private_metrics)."
            : !outsideEpsilon.isEmpty
            ? " Not covered by ε, and not private if this report or the metrics are published: \(outsideEpsilon.joined(separator: ", ")), and the per-round, per-process and per-client sections below (docs/PRIVACY.md; privacy.private_metrics leaves them out)."
            : ""
        return section("Privacy spent", SVGPlot.lines("privacy", series, xLabel: xLabel, yLabel: "ε", format: { String(format: "%.1f", $0) }),
                       note: "DP-FedAvg: ε at δ = \(delta.map { String(format: "%g", $0) } ?? "-") after each round, from the RDP accountant." + scope)
    }

    func durations() -> String {
        guard let rounds = summary?.rounds, !rounds.isEmpty else { return section("Time per round", nil) }
        let secure: [(String, KeyPath<TraceSummary.Round, Double>)] = rounds.contains { $0.secure > 0 } ? [("secure aggregation", \.secure)] : []
        let parts: [(String, KeyPath<TraceSummary.Round, Double>)] = [
            ("transfer down", \.transferDown), ("training", \.training), ("transfer up", \.transferUp), ("waiting", \.waiting)] + secure + [
            ("aggregation", \.aggregation), ("evaluation", \.evaluation), ("other", \.other)]
        let stacks = parts.enumerated().map { index, part in
            SVGPlot.Stack(name: part.0, color: Self.palette[index], values: rounds.map { $0[keyPath: part.1] })
        }
        return section("Time per \(unit)", SVGPlot.bars("durations", categories: rounds.map { "\($0.round)" }, stacks, yLabel: "seconds",
                                                       format: { String(format: "%.2f", $0) }),
                       note: "Along the critical path: the transfers and training of the worker whose update came last, the rest of the wait for it, then aggregation and evaluation.")
    }

    func bytes() -> String {
        guard let rounds = summary?.rounds, !rounds.isEmpty else { return section("Bytes per round", nil) }
        let stacks = [SVGPlot.Stack(name: "scheduler → workers", color: Self.palette[0], values: rounds.map { Double($0.bytesDown) / 1_048_576 }),
                      SVGPlot.Stack(name: "workers → scheduler", color: Self.palette[1], values: rounds.map { Double($0.bytesUp) / 1_048_576 })]
        return section("Bytes per \(unit)", SVGPlot.bars("bytes", categories: rounds.map { "\($0.round)" }, stacks, yLabel: "MiB",
                                                        format: { String(format: "%.1f", $0) }))
    }

    func timeline() -> String {
        guard let trace, let origin = (trace.messages.map(\.time) + trace.spans.map(\.start)).min() else { return section("Timeline", nil) }
        let end = (trace.messages.map(\.time) + trace.spans.map(\.end)).max() ?? origin
        let kinds: [(String, String)] = [("train", Self.palette[0]), ("aggregate", Self.palette[1]), ("evaluate", Self.palette[2]),
                                         ("simulated", Self.palette[7])]
        let rows = trace.processes.map { process in
            (name: process, segments: trace.spans.filter { $0.process == process }.compactMap { span -> SVGPlot.Segment? in
                guard let kind = kinds.first(where: { span.name.hasPrefix($0.0) }) else { return nil }
                return SVGPlot.Segment(start: span.start - origin, end: span.end - origin, color: kind.1,
                                       title: "\(process): \(span.name)\(span.round.map { " \(unit) \($0)" } ?? "") \(String(format: "%.3f", span.seconds)) s")
            })
        }
        return section("Timeline", SVGPlot.rows("timeline", rows, range: 0...(end - origin), xLabel: "seconds since the first event",
                                                format: { String(format: end - origin < 5 ? "%.1f" : "%.0f", $0) }, legend: kinds.map { ($0.0, $0.1) }))
    }

    func labels() -> String {
        guard !files.clients.isEmpty else { return section("Labels per client", nil) }
        let shown = files.clients.prefix(Self.labelRows)
        let classes = shown.map { ($0["labels"] as? [Int] ?? []).count }.max() ?? 0
        let rows = shown.map { client in
            let counts = client["labels"] as? [Int] ?? []
            let total = Double(max(1, counts.reduce(0, +)))
            var start = 0.0
            let name = client["worker"] as? String ?? "client \(client["index"] as? Int ?? 0)"
            return (name: name, segments: counts.enumerated().map { label, count in
                defer { start += Double(count) / total }
                return SVGPlot.Segment(start: start, end: start + Double(count) / total, color: Self.palette[label % Self.palette.count],
                                       title: "\(name): label \(label), \(count) samples (\(String(format: "%.1f", 100 * Double(count) / total))%)")
            })
        }
        return section("Labels per client", SVGPlot.rows("labels", rows, range: 0...1, xLabel: "share of the client's training samples",
                                                         format: { String(format: "%.0f%%", $0 * 100) },
                                                         legend: (0..<classes).map { ("\($0)", Self.palette[$0 % Self.palette.count]) }),
                       note: files.clients.count > shown.count ? "The first \(shown.count) of \(files.clients.count) clients (clients.json has them all)." : nil)
    }

    /// Clients the labels chart draws at most: a simulated federation has thousands.
    static let labelRows = 100

    func staleness() -> String {
        let values = trace?.spans.filter { $0.process == trace?.reference && $0.name == "accepted update" }.compactMap(\.staleness) ?? []
        let dropped = trace?.spans.filter { $0.process == trace?.reference && $0.name == "stale update" }.compactMap(\.staleness) ?? []
        guard let top = (values + dropped).max() else { return section("Staleness", nil) }
        let counts = { (list: [Int]) in (0...top).map { value in Double(list.filter { $0 == value }.count) } }
        return section("Staleness", SVGPlot.bars("staleness", categories: (0...top).map(String.init),
                                                 [SVGPlot.Stack(name: "applied", color: Self.palette[0], values: counts(values)),
                                                  SVGPlot.Stack(name: "dropped (too stale)", color: Self.palette[3], values: counts(dropped))],
                                                 yLabel: "updates", format: { String(format: "%.0f", $0) }),
                       note: "Server steps an update's model was behind when it arrived.")
    }

    func configuration() -> String {
        let command = (files.environment["command"] as? [String])?.joined(separator: " ")
        return """
            <h2>Topology and command</h2>
            \(command.map { "<pre data-section=\"command\">\(HTML.escape($0))</pre>" } ?? "")
            \(files.topology.map { "<pre data-section=\"topology\">\(HTML.escape($0))</pre>" } ?? "<p class=\"note\">No topology.yaml (not started by tessera launch).</p>")
            """
    }

    func environment() -> String {
        let fields = ["host", "cpu", "cores", "memory_bytes", "system", "kernel", "threads", "tessera", "swift", "libzmq", "data"]
        let rows = fields.compactMap { key -> String? in
            guard let value = files.environment[key] else { return nil }
            let text = key == "memory_bytes" ? String(format: "%.1f GiB", (value as? Double ?? Double(value as? Int ?? 0)) / 1_073_741_824) : "\(value)"
            return "<tr><th>\(HTML.escape(key.replacingOccurrences(of: "_bytes", with: "")))</th><td>\(HTML.escape(text))</td></tr>"
        }
        return "<h2>Environment</h2>" + (rows.isEmpty ? "<p class=\"note\">No environment.json.</p>" : "<table data-section=\"environment\">\(rows.joined())</table>")
    }

    private var unit: String { summary?.asynchronous == true ? "server step" : "round" }
    private var xLabel: String { summary?.asynchronous == true ? "server step" : "round" }

    func section(_ title: String, _ chart: String?, note: String? = nil) -> String {
        "<h2>\(HTML.escape(title))</h2>" + (chart ?? "<p class=\"note\">Nothing recorded for this run.</p>") + (note.map { "<p class=\"note\">\(HTML.escape($0))</p>" } ?? "")
    }
}
