/// Small server-rendered charts for `/ops` (inline SVG: no JavaScript, no build step, allowed by the page's
/// Content-Security-Policy). Every label is escaped.
enum SVGChart {
    /// Colours per series, in order; a series keeps its colour by its position in `keys`.
    static let palette = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]

    /// A stacked bar chart: one bar per bucket, one stacked segment per key.
    /// - Parameters:
    ///   - title: shown above the chart (and as the SVG's accessible name).
    ///   - keys: the series, in stacking and legend order.
    ///   - values: per bucket, the value of each key (missing = 0).
    ///   - axis: labels under the first, middle and last bucket.
    static func stackedBars(title: String, keys: [String], values: [[String: Double]], axis: [String]) -> String {
        let width = 640.0, height = 160.0, left = 40.0, bottom = 20.0, top = 8.0
        let plotWidth = width - left - 8, plotHeight = height - bottom - top
        let totals = values.map { bucket in keys.reduce(0) { $0 + (bucket[$1] ?? 0) } }
        let peak = niceCeiling(totals.max() ?? 0)
        let barWidth = values.isEmpty ? 0 : plotWidth / Double(values.count)
        var svg = header(title: title, width: width, height: height + 18)
        svg += gridAndScale(peak: peak, left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight)
        for (index, bucket) in values.enumerated() {
            var y = top + plotHeight
            for (series, key) in keys.enumerated() {
                let value = bucket[key] ?? 0
                guard value > 0, peak > 0 else { continue }
                let h = value / peak * plotHeight
                y -= h
                let x = left + Double(index) * barWidth
                svg += "<rect x=\"\(f(x + 0.5))\" y=\"\(f(y))\" width=\"\(f(max(1, barWidth - 1)))\" height=\"\(f(h))\" "
                    + "fill=\"\(palette[series % palette.count])\"><title>\(escape(key)): \(f(value))</title></rect>"
            }
        }
        svg += axisLabels(axis, left: left, plotWidth: plotWidth, y: top + plotHeight + 14)
        svg += legend(keys, y: height + 12)
        return svg + "</svg>"
    }

    /// A line chart of one or more series over the buckets (nil = no sample in that bucket: a gap).
    static func lines(title: String, series: [(name: String, values: [Double?])], axis: [String],
                      unit: String = "") -> String {
        let width = 640.0, height = 160.0, left = 40.0, bottom = 20.0, top = 8.0
        let plotWidth = width - left - 8, plotHeight = height - bottom - top
        let peak = niceCeiling(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0)
        var svg = header(title: title, width: width, height: height + 18)
        svg += gridAndScale(peak: peak, left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, unit: unit)
        for (index, line) in series.enumerated() {
            let count = max(1, line.values.count - 1)
            var path = ""
            var dots = ""
            var pen = false
            for (position, value) in line.values.enumerated() {
                guard let value else {
                    pen = false
                    continue
                }
                let x = left + Double(position) / Double(count) * plotWidth
                let y = top + plotHeight - (peak > 0 ? value / peak * plotHeight : 0)
                path += (pen ? "L" : "M") + "\(f(x)),\(f(y)) "
                pen = true
                // A dot per sample, so a single sample (a line of one point) still shows.
                dots += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"2\" fill=\"\(palette[index % palette.count])\">"
                    + "<title>\(escape(line.name)): \(f(value))</title></circle>"
            }
            if !path.isEmpty {
                svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(palette[index % palette.count])\" "
                    + "stroke-width=\"1.5\"><title>\(escape(line.name))</title></path>" + dots
            }
        }
        svg += axisLabels(axis, left: left, plotWidth: plotWidth, y: top + plotHeight + 14)
        svg += legend(series.map(\.name), y: height + 12)
        return svg + "</svg>"
    }

    private static func header(title: String, width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "role=\"img\" aria-label=\"\(escape(title))\"><title>\(escape(title))</title>"
    }

    private static func gridAndScale(peak: Double, left: Double, top: Double, plotWidth: Double,
                                     plotHeight: Double, unit: String = "") -> String {
        var svg = ""
        for step in 0...2 {
            let y = top + plotHeight - Double(step) / 2 * plotHeight
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" "
                + "stroke=\"#e5e7eb\"/>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 4))\" text-anchor=\"end\" font-size=\"10\" fill=\"#6b7280\">"
                + "\(escape(short(peak * Double(step) / 2) + unit))</text>"
        }
        return svg
    }

    private static func axisLabels(_ labels: [String], left: Double, plotWidth: Double, y: Double) -> String {
        guard !labels.isEmpty else { return "" }
        var svg = ""
        for (index, label) in labels.enumerated() {
            let fraction = labels.count == 1 ? 0 : Double(index) / Double(labels.count - 1)
            let anchor = index == 0 ? "start" : (index == labels.count - 1 ? "end" : "middle")
            svg += "<text x=\"\(f(left + fraction * plotWidth))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" "
                + "font-size=\"10\" fill=\"#6b7280\">\(escape(label))</text>"
        }
        return svg
    }

    private static func legend(_ keys: [String], y: Double) -> String {
        var svg = ""
        var x = 40.0
        for (index, key) in keys.enumerated() {
            svg += "<rect x=\"\(f(x))\" y=\"\(f(y - 8))\" width=\"8\" height=\"8\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(f(x + 11))\" y=\"\(f(y))\" font-size=\"10\" fill=\"#374151\">\(escape(key))</text>"
            x += 18 + Double(key.count) * 6
        }
        return svg
    }

    /// 1, 2 or 5 × a power of ten, at least `value` (and at least 1).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 1 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    private static func short(_ value: Double) -> String {
        if value >= 1_000_000 { return f(value / 1_000_000) + "M" }
        if value >= 1000 { return f(value / 1000) + "k" }
        return f(value)
    }

    /// A number with at most one decimal, no trailing ".0".
    static func f(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
