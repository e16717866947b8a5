import Foundation

/// The anomaly detector of one numeric series: learns online, in constant memory (about 1 KiB), and
/// scores each value before it learns from it.
///
/// It runs several cheap components side by side, each measuring one kind of abnormality in units of
/// the series' own spread: forecast residual (spikes), short against long mean (level shifts), medium
/// against long mean (drift), short against long residual spread (variance change), run length of a
/// repeated value against how often values repeat (stuck sensors), and the deviation from the usual
/// value at this time of day (seasonal pattern breaks). A component only counts when it is *novel*: well
/// beyond the largest value it had in the recent past. So a series that is always noisy, always jumps or
/// always repeats stops raising alarms for it, and one anomaly raises one alarm, not a storm. This is
/// what makes the detector usable on real streams, whose noise is rarely Gaussian.
public struct StreamingDetector: SeriesScorer {
    /// Tuning of a detector; the defaults suit most sensor and metric streams.
    public struct Configuration: Codable, Sendable, Equatable {
        /// Values learned from before any score is given.
        public var warmUp: Int
        /// Above 1 alarms on smaller deviations, below 1 on larger ones only.
        public var sensitivity: Double
        /// How many values it takes for the memory of an earlier extreme to halve.
        public var memory: Double
        /// Whether to learn a time-of-day profile (needs timestamps).
        public var seasonal: Bool

        public init(warmUp: Int = 100, sensitivity: Double = 1, memory: Double = 3000, seasonal: Bool = true) {
            self.warmUp = warmUp
            self.sensitivity = sensitivity
            self.memory = memory
            self.seasonal = seasonal
        }

        /// The problem with these settings, if any.
        public var problem: String? {
            if self.warmUp < 10 || self.warmUp > 100_000 { return "warmUp must be 10...100000 values" }
            if !(self.sensitivity >= 0.1 && self.sensitivity <= 10) { return "sensitivity must be 0.1...10" }
            if !(self.memory >= 50 && self.memory <= 1_000_000) { return "memory must be 50...1000000 values" }
            return nil
        }
    }

    /// Where the score of the combined novelty is 0.5.
    static let alarmRatio = 1.1
    /// Half-hour bins of the day, one profile for weekdays and one for weekends (human-driven series:
    /// traffic, energy, clicks, follow the week as much as the day).
    static let binsPerDay = 48
    static let secondsPerBin = 86_400.0 / Double(binsPerDay)

    public let configuration: Configuration
    private(set) var count = 0

    // Forecasts: the last value, a fast and a slow moving average; the one with the smallest recent
    // error is used.
    private var last = Double.nan
    private var fast = ExponentialMean(rate: 0.5)
    private var slow = ExponentialMean(rate: 0.15)
    private var errors = (ExponentialMean(rate: 0.02), ExponentialMean(rate: 0.02), ExponentialMean(rate: 0.02))

    private var shortMean = ExponentialMean(rate: 0.1)
    private var mediumMean = ExponentialMean(rate: 0.02)
    private var longMean = ExponentialMean(rate: 0.005)
    private var longVariance = ExponentialMean(rate: 0.005)
    private var shortSpread = ExponentialMean(rate: 0.05)
    private var longSpread = ExponentialMean(rate: 0.005)

    private var repeats = 0
    private var repeatFrequency = ExponentialMean(rate: 0.01)

    private var lastTime = -Double.infinity
    private var binMeans: [Double]
    private var binCounts: [Int32]
    /// The day (since the epoch) each bin was last updated, and on how many days it was.
    private var binLastDay: [Int32]
    private var binDays: [Int32]
    private var seasonalSpread = ExponentialMean(rate: 0.01)
    private var seasonalResidual = ExponentialMean(rate: 0.2)

    private var novelty: [NoveltyReference]
    /// The components of the last `lag` values, which join the novelty references only once they are
    /// that old: an anomaly that builds up over several values is compared with the time before it,
    /// not with its own beginning.
    private var recent: [InlineArray<6, Double>]
    /// Values left in which further alarms are damped, after one was raised (one alarm per episode).
    private var refractory = 0
    static let lag = 24

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let bins = configuration.seasonal ? 2 * Self.binsPerDay : 0
        self.binMeans = [Double](repeating: 0, count: bins)
        self.binCounts = [Int32](repeating: 0, count: bins)
        self.binLastDay = [Int32](repeating: -1, count: bins)
        self.binDays = [Int32](repeating: 0, count: bins)
        let floors: [Double] = [5, 5, 5, 4, 5, 5]  // per AnomalyKind order below, in spreads
        self.novelty = floors.map { NoveltyReference(halfLife: configuration.memory, floor: $0 / configuration.sensitivity) }
        self.recent = [InlineArray<6, Double>](repeating: InlineArray(repeating: 0), count: Self.lag)
    }

    /// The component order of `novelty`.
    private static let kinds: [AnomalyKind] = [.spike, .levelShift, .drift, .varianceChange, .frozen, .seasonal]

    /// Scores `value` (observed at `time`, seconds since the epoch, or `nan` when unknown), then learns it.
    public mutating func score(_ value: Double, at time: Double = .nan) -> AnomalyScore {
        guard value.isFinite else { return .none }
        self.count += 1
        let tiny = 1e-9 * (abs(self.longMean.value) + 1)

        // Spike: residual of the best forecast.
        var forecast = value
        var errorScale = 0.0
        if self.count > 1 {
            let candidates = (self.last, self.fast.value, self.slow.value)
            let errs = (self.errors.0.value, self.errors.1.value, self.errors.2.value)
            (forecast, errorScale) = errs.0 <= errs.1 && errs.0 <= errs.2 ? (candidates.0, errs.0)
                : errs.1 <= errs.2 ? (candidates.1, errs.1) : (candidates.2, errs.2)
        }
        let scale = 1.2533 * errorScale + tiny
        let residual = value - forecast
        let spike = abs(residual) / scale

        // Level shift and drift: short and medium means against the long one.
        self.shortMean.add(value)
        self.mediumMean.add(value)
        let longDeviation = self.longVariance.value.squareRoot() + tiny
        let level = abs(self.shortMean.value - self.longMean.value) / (0.229 * longDeviation)
        let drift = abs(self.mediumMean.value - self.longMean.value) / (0.1005 * longDeviation)

        // Variance change: recent spread of residuals against the long-run spread.
        // Clipped, so that one outlier does not read as a change of spread.
        let clipped = self.count > 10 ? min(abs(residual), 3 * scale) : abs(residual)
        self.shortSpread.add(clipped)
        let variance = self.count > 20 ? abs(log((self.shortSpread.value + tiny) / (self.longSpread.value + tiny))) / 0.12 : 0

        // Frozen: a repeated value, weighed by how rarely values repeat.
        let repeated = self.count > 1 && abs(value - self.last) <= 1e-12 * max(1, abs(value))
        self.repeats = repeated ? self.repeats + 1 : 0
        let seen = min(Double(self.count), 100)
        let repeatProbability = (self.repeatFrequency.value * seen + 0.5) / (seen + 1)
        let frozen = self.repeats >= 3 ? (2 * Double(self.repeats) * -log(repeatProbability)).squareRoot() : 0

        // Seasonal: deviation from this time of day's usual value, sustained over a few values.
        var seasonal = 0.0
        var seasonalExpected = Double.nan
        if self.configuration.seasonal, time.isFinite, time > self.lastTime {
            self.lastTime = time
            let day = Int((time / 86_400).rounded(.down))
            let weekend = ((day % 7) + 7 + 3) % 7 >= 5  // 1970-01-01 was a Thursday
            let bin = Int((time - Double(day) * 86_400) / Self.secondsPerBin) % Self.binsPerDay + (weekend ? Self.binsPerDay : 0)
            if self.binCounts[bin] > 0 {
                let deviation = value - self.binMeans[bin]
                seasonalExpected = self.binMeans[bin]
                self.seasonalResidual.add(deviation)
                if self.binDays[bin] >= 2 {
                    let spread = 1.2533 * self.seasonalSpread.value + tiny
                    // Only where the profile explains the series better than its overall spread.
                    if spread < 0.8 * longDeviation {
                        seasonal = abs(self.seasonalResidual.value) / (0.4 * spread)
                    }
                }
                let bound = self.binDays[bin] >= 2 ? 8.0 : .infinity
                self.seasonalSpread.add(min(abs(deviation), bound * (1.2533 * self.seasonalSpread.value + tiny)))
            }
            if self.binLastDay[bin] != Int32(truncatingIfNeeded: day) {
                self.binLastDay[bin] = Int32(truncatingIfNeeded: day)
                self.binDays[bin] &+= 1
            }
            let weight = max(0.2, 1 / Double(self.binCounts[bin] + 1))
            self.binMeans[bin] += weight * (value - self.binMeans[bin])
            self.binCounts[bin] &+= 1
        }

        // Learn.
        if self.count > 1 {
            // Clipped once a spread is established, so that outliers do not inflate it.
            let bound = self.count > 10 ? 8.0 : .infinity
            self.errors.0.add(min(abs(value - self.last), bound * (1.2533 * self.errors.0.value + tiny)))
            self.errors.1.add(min(abs(value - self.fast.value), bound * (1.2533 * self.errors.1.value + tiny)))
            self.errors.2.add(min(abs(value - self.slow.value), bound * (1.2533 * self.errors.2.value + tiny)))
            self.repeatFrequency.add(repeated ? 1 : 0)
        }
        self.longSpread.add(clipped)
        let centred = value - self.longMean.value
        self.longVariance.add(centred * centred)
        self.longMean.add(value)
        self.fast.add(value)
        self.slow.add(value)
        self.last = value

        let components: InlineArray<6, Double> = [spike, level, drift, variance, frozen, seasonal]
        let slot = self.count % Self.lag
        if self.count > self.configuration.warmUp / 2 + Self.lag {
            let old = self.recent[slot]
            for index in old.indices { self.novelty[index].observe(old[index]) }
        }
        self.recent[slot] = components
        if self.count <= self.configuration.warmUp { return .none }
        var best = 0
        var bestRatio = -1.0
        for index in components.indices {
            let ratio = self.novelty[index].ratio(components[index])
            if ratio > bestRatio { (best, bestRatio) = (index, ratio) }
        }
        let r2 = bestRatio * bestRatio
        let a2 = Self.alarmRatio * Self.alarmRatio
        var score = bestRatio > 0 ? r2 * r2 / (r2 * r2 + a2 * a2) : 0
        if self.refractory > 0 {
            self.refractory -= 1
            score *= 0.5
        } else if score >= 0.5 {
            self.refractory = Self.lag
        }
        let centre = Self.kinds[best] == .seasonal && seasonalExpected.isFinite ? seasonalExpected : forecast
        return AnomalyScore(score: score, kind: Self.kinds[best], expectedLow: centre - 3 * scale, expectedHigh: centre + 3 * scale)
    }
}
