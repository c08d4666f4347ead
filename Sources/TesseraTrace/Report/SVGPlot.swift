import Foundation

/// Charts as inline SVG, readable without JavaScript: every point, bar and segment carries a
/// `<title>` (its value on hover) and a `data-` attribute naming what it is, and every chart
/// names itself (`data-chart`), so a test can count what was drawn.
enum SVGPlot {
    /// One line of a line chart.
    struct Series {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
    }

    /// One stack of a bar chart.
    struct Stack {
        var name: String
        var color: String
        var values: [Double]
    }

    /// One segment of a row in a row chart.
    struct Segment {
        var start: Double
        var end: Double
        var color: String
        var title: String
    }

    static let width = 860.0
    static let margin = (left: 64.0, right: 16.0, top: 16.0, bottom: 40.0)

    /// A line chart of `series` over a shared x axis. The y axis starts at 0 when `fromZero`;
    /// otherwise it is fitted to the data (accuracy from 95 % to 98 % is not a flat line at the
    /// top of 0-100 %), with a break marked on the axis when 0 is left out.
    static func lines(_ chart: String, _ series: [Series], xLabel: String, yLabel: String, fromZero: Bool = true,
                      format: (Double) -> String) -> String {
        let height = 260.0
        let points = series.flatMap(\.points)
        let xs = points.map(\.x), ys = points.map(\.y)
        let xScale = Scale(low: xs.min() ?? 0, high: max((xs.max() ?? 1), (xs.min() ?? 0) + 1), from: margin.left, to: width - margin.right)
        var (low, high) = (min(0, ys.min() ?? 0), ys.max() ?? 1)
        if !fromZero, let least = ys.min(), let most = ys.max(), least > 0 {
            // Fitted when 0 would squeeze the data into less than half the chart.
            let pad = max((most - least) * 0.1, most * 0.002)
            if most - least < most / 2 { (low, high) = (least - pad, most + pad) }
        }
        let yScale = Scale.nice(low: low, high: high, from: height - margin.bottom, to: margin.top)
        var svg = open(chart, height: height)
        // Rounds and steps are whole numbers: no tick between them.
        let whole = xs.allSatisfy { $0 == $0.rounded() }
        svg += axes(x: xScale, y: yScale, height: height, xLabel: xLabel, yLabel: yLabel, format: format, wholeX: whole)
        if yScale.low > 0 {
            // The axis break: two slashes across the y axis above its foot.
            let (x, y) = (margin.left, height - margin.bottom - 8)
            svg += #"<path data-axis-break="y" d="M\#(HTML.number(x - 6)) \#(HTML.number(y + 3)) l12 -6 M\#(HTML.number(x - 6)) \#(HTML.number(y + 8)) l12 -6" stroke="black" stroke-width="1.5"/>"#
        }
        for line in series where !line.points.isEmpty {
            let path = line.points.map { "\(HTML.number(xScale($0.x))),\(HTML.number(yScale($0.y)))" }.joined(separator: " ")
            svg += #"<polyline fill="none" stroke="\#(line.color)" stroke-width="2" points="\#(path)"/>"#
            for point in line.points {
                svg += #"<circle data-point="\#(HTML.escape(line.name))" cx="\#(HTML.number(xScale(point.x)))" cy="\#(HTML.number(yScale(point.y)))" r="3" fill="\#(line.color)"><title>\#(HTML.escape(line.name)) at \#(HTML.number(point.x)): \#(format(point.y))</title></circle>"#
            }
        }
        svg += legend(series.map { ($0.name, $0.color) })
        return svg + "</svg>"
    }

    /// Stacked bars, one per category.
    static func bars(_ chart: String, categories: [String], _ stacks: [Stack], yLabel: String, format: (Double) -> String) -> String {
        let height = 260.0
        let totals = categories.indices.map { index in stacks.reduce(0) { $0 + (index < $1.values.count ? max(0, $1.values[index]) : 0) } }
        let yScale = Scale.nice(low: 0, high: totals.max() ?? 1, from: height - margin.bottom, to: margin.top)
        let slot = (width - margin.left - margin.right) / Double(max(1, categories.count))
        var svg = open(chart, height: height)
        svg += axes(x: nil, y: yScale, height: height, xLabel: "", yLabel: yLabel, format: format)
        for (index, category) in categories.enumerated() {
            var base = 0.0
            let x = margin.left + Double(index) * slot + slot * 0.15
            for stack in stacks where index < stack.values.count {
                let value = max(0, stack.values[index])
                let (top, bottom) = (yScale(base + value), yScale(base))
                svg += #"<rect data-bar="\#(HTML.escape(stack.name))" x="\#(HTML.number(x))" y="\#(HTML.number(top))" width="\#(HTML.number(slot * 0.7))" height="\#(HTML.number(max(0, bottom - top)))" fill="\#(stack.color)"><title>\#(HTML.escape(category)): \#(HTML.escape(stack.name)) \#(format(value))</title></rect>"#
                base += value
            }
            // Category labels, thinned out so that they do not overlap.
            let every = max(1, Int((Double(categories.count) * 28 / (width - margin.left - margin.right)).rounded(.up)))
            if index % every == 0 {
                svg += #"<text x="\#(HTML.number(x + slot * 0.35))" y="\#(HTML.number(height - margin.bottom + 16))" text-anchor="middle">\#(HTML.escape(category))</text>"#
            }
        }
        svg += legend(stacks.map { ($0.name, $0.color) })
        return svg + "</svg>"
    }

    /// Rows of segments over `range` (a timeline, or shares of a whole).
    static func rows(_ chart: String, _ rows: [(name: String, segments: [Segment])], range: ClosedRange<Double>, xLabel: String,
                     format: (Double) -> String, legend entries: [(String, String)] = []) -> String {
        let rowHeight = rows.count > 40 ? 8.0 : 16.0
        let height = margin.top + margin.bottom + rowHeight * Double(rows.count) + (entries.isEmpty ? 0 : 20)
        let xScale = Scale(low: range.lowerBound, high: max(range.upperBound, range.lowerBound + 1e-9), from: margin.left + 40, to: width - margin.right)
        var svg = open(chart, height: height)
        let bottom = height - margin.bottom - (entries.isEmpty ? 0 : 20)
        for tick in xScale.ticks(5) {
            svg += #"<line x1="\#(HTML.number(xScale(tick)))" x2="\#(HTML.number(xScale(tick)))" y1="\#(HTML.number(margin.top))" y2="\#(HTML.number(bottom))" class="grid"/>"#
            svg += #"<text x="\#(HTML.number(xScale(tick)))" y="\#(HTML.number(bottom + 14))" text-anchor="middle">\#(format(tick))</text>"#
        }
        svg += #"<text x="\#(HTML.number((margin.left + width) / 2))" y="\#(HTML.number(bottom + 30))" text-anchor="middle">\#(HTML.escape(xLabel))</text>"#
        for (index, row) in rows.enumerated() {
            let y = margin.top + Double(index) * rowHeight
            svg += #"<g data-row="\#(HTML.escape(row.name))"><text x="\#(HTML.number(margin.left + 36))" y="\#(HTML.number(y + rowHeight * 0.8))" text-anchor="end" font-size="\#(rowHeight > 10 ? 11 : 7)">\#(HTML.escape(row.name))</text>"#
            for segment in row.segments {
                let (left, right) = (xScale(segment.start), xScale(segment.end))
                svg += #"<rect x="\#(HTML.number(left))" y="\#(HTML.number(y + 1))" width="\#(HTML.number(max(0.5, right - left)))" height="\#(HTML.number(rowHeight - 2))" fill="\#(segment.color)"><title>\#(HTML.escape(segment.title))</title></rect>"#
            }
            svg += "</g>"
        }
        if !entries.isEmpty { svg += legend(entries, y: height - 14) }
        return svg + "</svg>"
    }

    private static func open(_ chart: String, height: Double) -> String {
        #"<svg data-chart="\#(chart)" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(HTML.number(width)) \#(HTML.number(height))" width="\#(HTML.number(width))" height="\#(HTML.number(height))" role="img">"#
    }

    private static func axes(x: Scale?, y: Scale, height: Double, xLabel: String, yLabel: String, format: (Double) -> String,
                             wholeX: Bool = false) -> String {
        var svg = ""
        for tick in y.ticks(5) {
            svg += #"<line x1="\#(HTML.number(margin.left))" x2="\#(HTML.number(width - margin.right))" y1="\#(HTML.number(y(tick)))" y2="\#(HTML.number(y(tick)))" class="grid"/>"#
            svg += #"<text x="\#(HTML.number(margin.left - 6))" y="\#(HTML.number(y(tick) + 4))" text-anchor="end">\#(format(tick))</text>"#
        }
        if let x {
            // Whole numbers count in whole steps (adding 0.2 five times to 1 does not make 2).
            let ticks = wholeX ? Array(stride(from: x.low.rounded(.up), through: x.high, by: max(1, Scale.niceStep((x.high - x.low) / 8).rounded())))
                : x.ticks(8)
            for tick in ticks {
                svg += #"<text x="\#(HTML.number(x(tick)))" y="\#(HTML.number(height - margin.bottom + 16))" text-anchor="middle">\#(HTML.number(tick).replacingOccurrences(of: ".00", with: ""))</text>"#
            }
        }
        svg += #"<line x1="\#(HTML.number(margin.left))" x2="\#(HTML.number(width - margin.right))" y1="\#(HTML.number(height - margin.bottom))" y2="\#(HTML.number(height - margin.bottom))" class="axis"/>"#
        svg += #"<text x="\#(HTML.number((margin.left + width) / 2))" y="\#(HTML.number(height - 6))" text-anchor="middle">\#(HTML.escape(xLabel))</text>"#
        svg += #"<text transform="translate(14 \#(HTML.number(height / 2))) rotate(-90)" text-anchor="middle">\#(HTML.escape(yLabel))</text>"#
        return svg
    }

    private static func legend(_ entries: [(String, String)], y: Double = 12) -> String {
        var svg = "", x = margin.left + 8
        for (name, color) in entries {
            svg += #"<rect x="\#(HTML.number(x))" y="\#(HTML.number(y - 9))" width="10" height="10" fill="\#(color)"/><text x="\#(HTML.number(x + 14))" y="\#(HTML.number(y))">\#(HTML.escape(name))</text>"#
            x += 24 + Double(name.count) * 7
        }
        return svg
    }

    /// A linear map from data to pixels.
    struct Scale {
        var low: Double, high: Double, from: Double, to: Double

        func callAsFunction(_ value: Double) -> Double {
            from + (value - low) / (high - low) * (to - from)
        }

        /// A scale whose ends are round numbers.
        static func nice(low: Double, high: Double, from: Double, to: Double) -> Scale {
            let step = niceStep((high - low) / 5)
            let top = (high / step).rounded(.up) * step
            return Scale(low: (low / step).rounded(.down) * step, high: top > low ? top : low + step, from: from, to: to)
        }

        /// About `count` round values in the range.
        func ticks(_ count: Int) -> [Double] {
            let step = Self.niceStep((high - low) / Double(count))
            var tick = (low / step).rounded(.up) * step, ticks: [Double] = []
            while tick <= high + step * 1e-9 && ticks.count < 50 {
                ticks.append(tick)
                tick += step
            }
            return ticks
        }

        static func niceStep(_ raw: Double) -> Double {
            guard raw > 0, raw.isFinite else { return 1 }
            let magnitude = pow(10, log10(raw).rounded(.down))
            let fraction = raw / magnitude
            return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
        }
    }
}
