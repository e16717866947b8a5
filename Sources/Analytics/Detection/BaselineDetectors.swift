/// A detector that scores one value at a time; the streaming detector and the simple baselines it is
/// measured against.
public protocol SeriesScorer: Sendable {
    /// Scores `value` (at `time`, seconds since the epoch or `nan`) before learning it.
    mutating func score(_ value: Double, at time: Double) -> AnomalyScore
}

extension AnomalyScore {
    /// A baseline's verdict: a score, nothing more.
    static func plain(_ score: Double) -> Self {
        AnomalyScore(score: score, kind: .spike, expectedLow: .nan, expectedHigh: .nan)
    }
}

/// Maps a z-score to 0...1 with 0.5 at three standard deviations.
@inline(__always) func baselineScore(_ z: Double) -> Double {
    z.isFinite ? abs(z) / (abs(z) + 3) : 0
}

/// Baseline: the z-score of each value against the mean and standard deviation of the previous
/// `window` values.
public struct RollingZScoreDetector: SeriesScorer {
    private var ring: [Double]
    private var next = 0
    private var filled = 0
    private var sum = 0.0
    private var sumOfSquares = 0.0

    public init(window: Int = 100) { self.ring = [Double](repeating: 0, count: max(2, window)) }

    public mutating func score(_ value: Double, at time: Double) -> AnomalyScore {
        guard value.isFinite else { return .none }
        var result = 0.0
        if self.filled == self.ring.count {
            let n = Double(self.filled)
            let mean = self.sum / n
            let deviation = max(self.sumOfSquares / n - mean * mean, 0).squareRoot()
            result = baselineScore((value - mean) / (deviation + 1e-9 * (abs(mean) + 1)))
            let old = self.ring[self.next]
            self.sum -= old
            self.sumOfSquares -= old * old
        } else {
            self.filled += 1
        }
        self.ring[self.next] = value
        self.next = (self.next + 1) % self.ring.count
        self.sum += value
        self.sumOfSquares += value * value
        return .plain(result)
    }
}

/// Baseline: the z-score of each value against an exponentially weighted mean and variance.
public struct EWMADetector: SeriesScorer {
    private var mean = ExponentialMean(rate: 0.05)
    private var variance = ExponentialMean(rate: 0.05)
    private var count = 0
    private let warmUp: Int

    public init(rate: Double = 0.05, warmUp: Int = 100) {
        self.mean = ExponentialMean(rate: rate)
        self.variance = ExponentialMean(rate: rate)
        self.warmUp = warmUp
    }

    public mutating func score(_ value: Double, at time: Double) -> AnomalyScore {
        guard value.isFinite else { return .none }
        self.count += 1
        let deviation = value - self.mean.value
        let result = self.count > self.warmUp
            ? baselineScore(deviation / (self.variance.value.squareRoot() + 1e-9 * (abs(self.mean.value) + 1))) : 0
        self.variance.add(deviation * deviation)
        self.mean.add(value)
        return .plain(result)
    }
}

/// The detectors `twinguard eval anomalies --detector` can run.
public enum DetectorChoice: String, CaseIterable, Sendable {
    case twinguard, zscore, ewma

    /// A fresh detector of this kind.
    public func make() -> any SeriesScorer {
        switch self {
        case .twinguard: StreamingDetector()
        case .zscore: RollingZScoreDetector()
        case .ewma: EWMADetector()
        }
    }
}
