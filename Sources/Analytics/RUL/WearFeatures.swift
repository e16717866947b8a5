/// The features a remaining-useful-life model sees at one cycle of a unit, computed from that cycle and
/// the ones before it only (so training rows and a truncated test history are treated alike): per
/// normalised sensor its smoothed level, recent mean, short- and long-window slopes and recent spread;
/// the same for a health index (the sensors weighted by how they move with wear); and the cycle count.
public struct WearFeatures: Codable, Sendable {
    /// Per kept sensor, its correlation with the capped RUL in training (sign and weight in the index).
    public var weights: [Double]

    static let perSignal = 6

    public var count: Int { (self.weights.count + 1) * Self.perSignal + 1 }

    /// Feature names, for the model file.
    public func names(sensors: [Int]) -> [String] {
        let signals = sensors.map { "s\($0 + 1)" } + ["health"]
        return signals.flatMap { name in
            ["\(name).smooth", "\(name).fast", "\(name).mean10", "\(name).slope20", "\(name).slope60", "\(name).spread20"]
        } + ["cycle"]
    }

    /// Rows of features, one per cycle, for a unit's normalised readings (cycle-major, sensor-minor);
    /// `firstCycle` is the number of the first reading's cycle (a live history keeps only recent ones).
    public func rows(_ normalised: [[Double]], firstCycle: Int = 1) -> [[Float]] {
        let sensorCount = self.weights.count
        let totalWeight = max(self.weights.reduce(0) { $0 + abs($1) }, 1e-9)
        var signals = [[Double]](repeating: [], count: sensorCount + 1)
        for cycle in normalised {
            for sensor in 0..<sensorCount { signals[sensor].append(cycle[sensor]) }
            var health = 0.0
            for sensor in 0..<sensorCount { health += self.weights[sensor] * cycle[sensor] }
            signals[sensorCount].append(health / totalWeight)
        }
        var rows = [[Float]](repeating: [], count: normalised.count)
        for index in rows.indices { rows[index].reserveCapacity(self.count) }
        for signal in signals {
            var smooth = signal.first ?? 0
            var fast = smooth
            var prefix = [0.0]
            var prefixSquares = [0.0]
            var prefixWeighted = [0.0]
            for (t, value) in signal.enumerated() {
                smooth += (t == 0 ? 1 : 0.1) * (value - smooth)
                fast += (t == 0 ? 1 : 0.3) * (value - fast)
                prefix.append(prefix[t] + value)
                prefixSquares.append(prefixSquares[t] + value * value)
                prefixWeighted.append(prefixWeighted[t] + Double(t) * value)
                let mean10 = Self.mean(prefix, end: t + 1, window: 10)
                rows[t].append(Float(smooth))
                rows[t].append(Float(fast))
                rows[t].append(Float(mean10))
                rows[t].append(Float(Self.slope(prefix, prefixWeighted, end: t + 1, window: 20)))
                rows[t].append(Float(Self.slope(prefix, prefixWeighted, end: t + 1, window: 60)))
                let n = Double(min(20, t + 1))
                let mean20 = (prefix[t + 1] - prefix[t + 1 - Int(n)]) / n
                let variance = (prefixSquares[t + 1] - prefixSquares[t + 1 - Int(n)]) / n - mean20 * mean20
                rows[t].append(Float(max(variance, 0).squareRoot()))
            }
        }
        for t in rows.indices { rows[t].append(Float(t + firstCycle)) }
        return rows
    }

    static func mean(_ prefix: [Double], end: Int, window: Int) -> Double {
        let start = max(0, end - window)
        return (prefix[end] - prefix[start]) / Double(end - start)
    }

    /// The least-squares slope per cycle over the last `window` values before `end`.
    static func slope(_ prefix: [Double], _ prefixWeighted: [Double], end: Int, window: Int) -> Double {
        let start = max(0, end - window)
        let n = Double(end - start)
        guard n >= 3 else { return 0 }
        let sumY = prefix[end] - prefix[start]
        let sumTY = prefixWeighted[end] - prefixWeighted[start]
        let sumT = (Double(start) + Double(end - 1)) * n / 2
        var sumTT = 0.0
        // Σ t² over start..<end in closed form.
        func squares(_ k: Double) -> Double { k * (k + 1) * (2 * k + 1) / 6 }
        sumTT = squares(Double(end - 1)) - (start > 0 ? squares(Double(start - 1)) : 0)
        let denominator = n * sumTT - sumT * sumT
        return denominator == 0 ? 0 : (n * sumTY - sumT * sumY) / denominator
    }
}
