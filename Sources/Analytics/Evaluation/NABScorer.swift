import Foundation

/// Scores detections against labelled anomaly windows in the manner of the Numenta Anomaly Benchmark:
/// the first detection in a window earns up to 1 (more the earlier it comes, on a scaled sigmoid), each
/// detection outside windows costs the profile's false-positive weight (less right after a window), each
/// missed window costs the false-negative weight; the first 15 % of a file (at most 750 rows) is
/// probation and not scored. 100 is perfect, 0 is a detector that never fires.
public struct NABScorer: Sendable {
    /// Weights of an application profile.
    public struct Profile: Sendable {
        public var name: String
        public var truePositive: Double
        public var falsePositive: Double
        public var falseNegative: Double

        public static let standard = Profile(name: "standard", truePositive: 1, falsePositive: 0.11, falseNegative: 1)
        public static let rewardLowFalsePositives = Profile(name: "reward_low_FP", truePositive: 1, falsePositive: 0.22, falseNegative: 1)
        public static let rewardLowFalseNegatives = Profile(name: "reward_low_FN", truePositive: 1, falsePositive: 0.11, falseNegative: 2)
        public static let all = [standard, rewardLowFalsePositives, rewardLowFalseNegatives]
    }

    /// One file: its scores and its windows as row ranges.
    public struct Series: Sendable {
        public var scores: [Double]
        public var windows: [ClosedRange<Int>]

        public init(scores: [Double], windows: [ClosedRange<Int>]) {
            self.scores = scores
            self.windows = windows.sorted { $0.lowerBound < $1.lowerBound }
        }

        var probation: Int { min(Int((0.15 * Double(self.scores.count)).rounded(.down)), 750) }
    }

    /// Counts and weighted scores at one threshold.
    public struct Result: Sendable {
        public var windows = 0
        public var detectedWindows = 0
        public var falsePositives = 0
        public var raw = 0.0
        public var perfect = 0.0
        public var null = 0.0

        /// Normalised NAB score (100 perfect, 0 never fires; negative is worse than silence).
        public var normalized: Double { self.perfect == self.null ? 0 : 100 * (self.raw - self.null) / (self.perfect - self.null) }
        /// Detected windows over detected windows plus false-positive rows.
        public var precision: Double {
            self.detectedWindows + self.falsePositives == 0 ? 0 : Double(self.detectedWindows) / Double(self.detectedWindows + self.falsePositives)
        }
        /// Detected windows over all windows.
        public var recall: Double { self.windows == 0 ? 0 : Double(self.detectedWindows) / Double(self.windows) }
        public var f1: Double { self.precision + self.recall == 0 ? 0 : 2 * self.precision * self.recall / (self.precision + self.recall) }
    }

    /// NAB's scaled sigmoid of a relative position in or after a window.
    static func scaledSigmoid(_ position: Double) -> Double {
        position > 3 ? -1 : 2 / (1 + exp(5 * position)) - 1
    }

    /// Scores every series at `threshold` under `profile`.
    public static func score(_ series: [Series], threshold: Double, profile: Profile) -> Result {
        var result = Result()
        for file in series {
            let probation = file.probation
            let windows = file.windows.filter { $0.upperBound >= probation }
            result.windows += windows.count
            result.null -= profile.falseNegative * Double(windows.count)
            result.perfect += profile.truePositive * Self.scaledSigmoid(-1) * Double(windows.count)
            var best = [Double?](repeating: nil, count: windows.count)
            var window = 0
            var previous: ClosedRange<Int>? = nil
            for index in probation..<file.scores.count {
                while window < windows.count, windows[window].upperBound < index {
                    previous = windows[window]
                    window += 1
                }
                guard file.scores[index] >= threshold else { continue }
                if window < windows.count, windows[window].contains(index) {
                    if best[window] == nil {
                        let length = Double(windows[window].count)
                        let position = -Double(windows[window].upperBound - index + 1) / length
                        best[window] = profile.truePositive * Self.scaledSigmoid(position)
                    }
                } else {
                    result.falsePositives += 1
                    if let previous {
                        let position = Double(index - previous.upperBound) / Double(max(previous.count - 1, 1))
                        result.raw += profile.falsePositive * Self.scaledSigmoid(position)
                    } else {
                        result.raw -= profile.falsePositive
                    }
                }
            }
            for credit in best {
                if let credit {
                    result.detectedWindows += 1
                    result.raw += credit
                } else {
                    result.raw -= profile.falseNegative
                }
            }
        }
        return result
    }

    /// The threshold with the best normalised score under `profile` (NAB tunes each detector's
    /// threshold this way), searched on a grid.
    public static func bestThreshold(_ series: [Series], profile: Profile) -> (threshold: Double, result: Result) {
        var best = (threshold: 0.5, result: Self.score(series, threshold: 0.5, profile: profile))
        for step in 1...99 {
            let threshold = Double(step) / 100
            let result = Self.score(series, threshold: threshold, profile: profile)
            if result.normalized > best.result.normalized { best = (threshold, result) }
        }
        return best
    }
}
