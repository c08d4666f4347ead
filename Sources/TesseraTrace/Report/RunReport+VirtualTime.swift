import Foundation

/// A run on virtual time (`simulation.clock: virtual`): accuracy against the virtual clock, and
/// the clients' tasks laid out on it. Both are left out of runs on the wall clock.
extension RunReport {
    /// Lanes the virtual timeline draws at most; tasks beyond are counted in its note.
    static let virtualLanes = 48

    /// Whether the run's metrics carry virtual time.
    var onVirtualTime: Bool { files.metrics.contains { $0["virtualTime"] != nil } }

    /// The virtual clock's unit for a span of `seconds`: seconds, minutes or hours.
    static func virtualUnit(for seconds: Double) -> (name: String, seconds: Double) {
        seconds >= 3 * 3600 ? ("hours", 3600) : seconds >= 180 ? ("minutes", 60) : ("seconds", 1)
    }

    /// Accuracy (test set, and held-out when evaluated) at the virtual time each round or
    /// evaluated step ended.
    func accuracyOnVirtualTime() -> String {
        let times = files.series("virtualTime")
        let unit = Self.virtualUnit(for: times.map(\.y).max() ?? 0)
        let at = Dictionary(times.map { ($0.x, $0.y / unit.seconds) }, uniquingKeysWith: { first, _ in first })
        func onClock(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
            points.compactMap { point in at[point.x].map { ($0, point.y * 100) } }
        }
        var series = [SVGPlot.Series(name: "test set", color: Self.palette[0], points: onClock(files.series("accuracy")))]
        let federated = onClock(files.series("accuracy", in: "federated"))
        if !federated.isEmpty { series.append(SVGPlot.Series(name: "workers' held-out data", color: Self.palette[1], points: federated)) }
        return section("Accuracy against virtual time", SVGPlot.lines("virtual-accuracy", series, xLabel: "virtual \(unit.name)", yLabel: "accuracy %",
                                                                     fromZero: false, format: { String(format: "%.4g", $0) }),
                       note: "Virtual time is what the simulated devices took (docs/TOPOLOGY.md, simulation.clock), not the wall clock.")
    }

    /// The clients' train tasks on the virtual clock, packed into lanes (a task takes the first
    /// lane free when it starts); a task that never counted (its device left first, or it ended
    /// past the deadline) is drawn to its round's end.
    func virtualTimeline() -> String {
        guard let trace else { return section("Timeline in virtual time", nil) }
        let own = trace.spans.filter { $0.process == trace.reference }
        let roundEnds = Dictionary(own.filter { $0.name == "virtual round" }.compactMap { span in span.round.map { ($0, span.virtual?.end) } },
                                   uniquingKeysWith: { first, _ in first })
        let tasks = own.filter { $0.name == "virtual task" }.compactMap { span -> (span: TracedSpan, start: Double, end: Double)? in
            guard let virtual = span.virtual, let end = virtual.end ?? span.round.flatMap({ roundEnds[$0] ?? nil }) else { return nil }
            return (span, virtual.start, max(end, virtual.start))
        }.sorted { ($0.start, $0.span.peer ?? "") < ($1.start, $1.span.peer ?? "") }
        guard let last = tasks.map(\.end).max() else { return section("Timeline in virtual time", nil) }
        let unit = Self.virtualUnit(for: last)
        var lanes: [(free: Double, segments: [SVGPlot.Segment])] = []
        var left = 0
        for task in tasks {
            let counted = task.span.virtual?.end != nil
            let segment = SVGPlot.Segment(
                start: task.start / unit.seconds, end: task.end / unit.seconds, color: Self.palette[counted ? 0 : 3],
                title: "\(task.span.peer ?? "?"): round \(task.span.round ?? 0), \(String(format: "%.1f", task.start))–\(String(format: "%.1f", task.end)) virtual s"
                    + (task.span.detail.map { " (\($0))" } ?? ""))
            if let lane = lanes.firstIndex(where: { $0.free <= task.start }) {
                lanes[lane].free = task.end
                lanes[lane].segments.append(segment)
            } else if lanes.count < Self.virtualLanes {
                lanes.append((task.end, [segment]))
            } else {
                left += 1
            }
        }
        let rows = lanes.enumerated().map { (name: "\($0.offset + 1)", segments: $0.element.segments) }
        return section("Timeline in virtual time", SVGPlot.rows("virtual-timeline", rows, range: 0...(last / unit.seconds),
                                                                xLabel: "virtual \(unit.name) since the first round",
                                                                format: { String(format: "%.3g", $0) },
                                                                legend: [("counted", Self.palette[0]), ("lost or past the deadline", Self.palette[3])]),
                       note: "Each sampled client's train task on its simulated device, \(tasks.count) in all, one lane per task running at once"
                           + (left > 0 ? "; \(left) that ran while \(Self.virtualLanes) others did are not drawn." : "."))
    }
}
