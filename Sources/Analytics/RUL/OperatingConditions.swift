import TwinGuardCore

/// Operating regimes and per-regime sensor normalisation. Engines flown at different altitudes and
/// throttles read very differently while equally healthy; each reading is turned into standard
/// deviations from the mean of its regime, so that what remains is wear. Regimes are found from the
/// training data: each setting is split where its sorted values leave a wide gap (continuous noise has
/// none), and regimes are the combinations that occur.
public struct OperatingConditions: Codable, Sendable {
    /// Per setting, the cut points between its clusters.
    var cuts: [[Double]]
    /// Regime key (cluster numbers joined) → regime index.
    var regimes: [String: Int]
    /// Per regime, per kept sensor: mean and standard deviation.
    var means: [[Double]]
    var deviations: [[Double]]
    /// The sensors that vary within regimes (the others carry no information).
    public var keptSensors: [Int]

    public var regimeCount: Int { self.means.count }

    /// Learns regimes and normalisation from training histories.
    public init(fitting histories: [RunHistory]) throws(AnalyticsError) {
        let settings = histories.flatMap(\.settings)
        let sensors = histories.flatMap(\.sensors)
        guard settings.count >= 10, let sensorCount = sensors.first?.count else {
            throw AnalyticsError(.notEnoughData, "too few cycles to train on (\(settings.count)); give run-to-failure histories of several units")
        }
        let settingCount = settings[0].count
        self.cuts = (0..<settingCount).map { column in Self.gapCuts(settings.map { $0[column] }) }
        self.regimes = [:]
        var regimeOf: [Int] = []
        regimeOf.reserveCapacity(settings.count)
        var keyOf: [String] = []
        var counts: [String: Int] = [:]
        for row in settings {
            let key = Self.key(row, cuts: self.cuts)
            keyOf.append(key)
            counts[key, default: 0] += 1
        }
        for key in counts.keys.sorted() where counts[key]! * 200 >= settings.count { self.regimes[key] = self.regimes.count }
        if self.regimes.isEmpty { self.regimes[counts.max { $0.value < $1.value }!.key] = 0 }
        for key in keyOf { regimeOf.append(self.regimes[key] ?? 0) }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: sensorCount), count: self.regimes.count)
        var squares = sums
        var n = [Double](repeating: 0, count: self.regimes.count)
        for (row, regime) in zip(sensors, regimeOf) {
            n[regime] += 1
            for sensor in 0..<sensorCount {
                sums[regime][sensor] += row[sensor]
                squares[regime][sensor] += row[sensor] * row[sensor]
            }
        }
        var means = sums
        var deviations = sums
        var kept: [Int] = []
        for sensor in 0..<sensorCount {
            var pooled = 0.0
            var scale = 0.0
            for regime in 0..<self.regimes.count {
                let count = max(n[regime], 1)
                let mean = sums[regime][sensor] / count
                let variance = max(squares[regime][sensor] / count - mean * mean, 0)
                means[regime][sensor] = mean
                deviations[regime][sensor] = variance.squareRoot()
                pooled += variance * n[regime]
                scale += abs(mean) * n[regime]
            }
            let total = n.reduce(0, +)
            if (pooled / total).squareRoot() > 1e-6 * (scale / total + 1e-9) { kept.append(sensor) }
        }
        self.keptSensors = kept
        self.means = means.map { row in kept.map { row[$0] } }
        self.deviations = deviations.map { row in kept.map { max(row[$0], 1e-9) } }
        if kept.isEmpty { throw AnalyticsError(.notEnoughData, "no sensor varies in the training data; nothing to learn wear from") }
    }

    /// The kept sensors of one cycle in regime standard deviations.
    public func normalise(settings: [Double], sensors: [Double]) -> [Double] {
        let regime = self.regimes[Self.key(settings, cuts: self.cuts)] ?? self.nearestRegime(settings)
        return self.keptSensors.indices.map { index in
            (sensors[self.keptSensors[index]] - self.means[regime][index]) / self.deviations[regime][index]
        }
    }

    private func nearestRegime(_ settings: [Double]) -> Int {
        // An unseen combination: take the regime whose key differs in the fewest settings.
        let key = Self.key(settings, cuts: self.cuts).split(separator: ":")
        return self.regimes.min { a, b in
            zip(a.key.split(separator: ":"), key).filter { $0 != $1 }.count < zip(b.key.split(separator: ":"), key).filter { $0 != $1 }.count
        }?.value ?? 0
    }

    static func key(_ settings: [Double], cuts: [[Double]]) -> String {
        zip(settings, cuts).map { value, cuts in String(cuts.partitionPoint { $0 > value }) }.joined(separator: ":")
    }

    /// Cut points where a setting's sorted values jump by more than 5 % of their range and by far more
    /// than their usual step (values recorded on a coarse grid step evenly, which is not a regime change),
    /// leaving at least 1 % of the values on each side.
    static func gapCuts(_ values: [Double]) -> [Double] {
        let sorted = values.sorted()
        guard let low = sorted.first, let high = sorted.last, high > low else { return [] }
        let steps = (1..<sorted.count).map { sorted[$0] - sorted[$0 - 1] }.filter { $0 > 0 }.sorted()
        let usualStep = steps.isEmpty ? 0 : steps[steps.count / 2]
        let minimumGap = max(0.05 * (high - low), 20 * usualStep)
        let minimumSide = max(sorted.count / 100, 1)
        var cuts: [Double] = []
        var lastCut = 0
        for index in 1..<sorted.count where sorted[index] - sorted[index - 1] > minimumGap {
            guard index - lastCut >= minimumSide, sorted.count - index >= minimumSide else { continue }
            cuts.append((sorted[index] + sorted[index - 1]) / 2)
            lastCut = index
        }
        return cuts
    }
}
