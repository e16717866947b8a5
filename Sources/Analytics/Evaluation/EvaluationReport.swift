import Foundation

extension AnomalyEvaluation.Summary {
    /// The scores of a labelled run as text: precision, recall, F1 and NAB scores at `threshold`, and
    /// the NAB standard score at its best threshold.
    public func report(threshold: Double, detector: DetectorChoice) -> String {
        let series = self.labelled.keys.sorted().map { self.labelled[$0]! }
        var lines: [String] = []
        let atThreshold = NABScorer.score(series, threshold: threshold, profile: .standard)
        lines.append("detector \(detector.rawValue): \(self.labelled.count) labelled files, \(atThreshold.windows) anomaly windows (after probation)")
        lines.append(String(
            format: "  at threshold %.2f: detected %d of %d windows, %d false-positive rows; precision %.3f recall %.3f F1 %.3f",
            threshold, atThreshold.detectedWindows, atThreshold.windows, atThreshold.falsePositives, atThreshold.precision,
            atThreshold.recall, atThreshold.f1))
        let profiles = NABScorer.Profile.all.map { profile in
            String(format: "%@ %.1f", profile.name, NABScorer.score(series, threshold: threshold, profile: profile).normalized)
        }
        lines.append("  NAB score at threshold \(String(format: "%.2f", threshold)): " + profiles.joined(separator: ", "))
        let best = NABScorer.bestThreshold(series, profile: .standard)
        lines.append(String(
            format: "  NAB standard at its best threshold %.2f: %.1f (detected %d of %d windows, %d false-positive rows, F1 %.3f)",
            best.threshold, best.result.normalized, best.result.detectedWindows, best.result.windows, best.result.falsePositives,
            best.result.f1))
        if !self.unlabelledFiles.isEmpty {
            lines.append("  \(self.unlabelledFiles.count) file(s) have no entry in the labels and were not scored: "
                + self.unlabelledFiles.prefix(5).joined(separator: ", ") + (self.unlabelledFiles.count > 5 ? ", …" : ""))
        }
        return lines.joined(separator: "\n")
    }
}
