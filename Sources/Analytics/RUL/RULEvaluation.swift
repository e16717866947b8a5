import Foundation

/// `twinguard eval rul`: trains on a run-to-failure file, predicts the RUL at the last cycle of each
/// unit of a test file and, given the true RULs, scores the predictions.
public enum RULEvaluation {
    /// RMSE and the PHM08 challenge's asymmetric score (late predictions cost more than early ones).
    public struct Scores: Sendable {
        public var rmse: Double
        public var phm08: Double
        public var meanError: Double
        public var units: Int
    }

    /// Scores predictions against true RULs.
    public static func score(predicted: [Double], truth: [Double]) -> Scores {
        var squared = 0.0, phm = 0.0, sum = 0.0
        for (p, t) in zip(predicted, truth) {
            let d = p - t
            squared += d * d
            sum += d
            phm += d < 0 ? exp(-d / 13) - 1 : exp(d / 10) - 1
        }
        let n = Double(max(predicted.count, 1))
        return Scores(rmse: (squared / n).squareRoot(), phm08: phm, meanError: sum / n, units: predicted.count)
    }

    /// Reads a truth file: one number per line (the first number of a line, as in NASA's RUL files).
    public static func readTruth(_ url: URL) throws(AnalyticsError) -> [Double] {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw AnalyticsError(.unreadableInput, "cannot read \(url.path): \(error.localizedDescription)")
        }
        var values: [Double] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let first = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).first else { continue }
            guard let value = Double(first), value.isFinite else {
                throw AnalyticsError(.malformedInput, "\(url.lastPathComponent) line \(offset + 1): '\(first)' is not a number")
            }
            values.append(value)
        }
        return values
    }

    /// Writes one prediction a line.
    public static func writePredictions(_ predictions: [Double], to url: URL) throws(AnalyticsError) {
        let text = predictions.map { String(format: "%.2f", $0) }.joined(separator: "\n") + "\n"
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw AnalyticsError(.unreadableInput, "cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
