import Analytics
import Foundation
import Testing

/// A deterministic pseudo-random source for test signals (SplitMix64).
struct TestRandom {
    var state: UInt64
    mutating func next() -> Double {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
    /// A standard normal value (Box–Muller).
    mutating func gaussian() -> Double {
        (-2 * log(max(self.next(), 1e-300))).squareRoot() * cos(2 * .pi * self.next())
    }
}

@Suite("Streaming anomaly detector")
struct DetectorTests {
    /// Runs a detector over `values` (5-minute steps) and returns each verdict.
    func run(_ values: [Double], configuration: StreamingDetector.Configuration = .init()) -> [AnomalyScore] {
        var detector = StreamingDetector(configuration: configuration)
        return values.enumerated().map { index, value in detector.score(value, at: 1_780_000_000 + Double(index) * 300) }
    }

    func noise(_ count: Int, seed: UInt64, level: Double = 10, spread: Double = 1) -> [Double] {
        var random = TestRandom(state: seed)
        return (0..<count).map { _ in level + spread * random.gaussian() }
    }

    @Test("scores nothing during warm-up and ignores values that are not numbers")
    func warmUp() {
        var values = self.noise(300, seed: 1)
        values[50] = 1e6
        values[200] = .nan
        let scores = self.run(values)
        #expect(scores.prefix(100).allSatisfy { $0.score == 0 })
        #expect(scores[200].score == 0)
        #expect(scores.allSatisfy { $0.score >= 0 && $0.score <= 1 })
    }

    @Test("stays quiet on stationary noise")
    func quietOnNoise() {
        let scores = self.run(self.noise(5000, seed: 2))
        #expect(scores.filter { $0.score >= 0.5 }.count <= 5)
    }

    @Test(
        "names the kind of anomaly it sees",
        arguments: [AnomalyKind.spike, .levelShift, .frozen, .varianceChange, .seasonal])
    func kinds(_ kind: AnomalyKind) throws {
        var random = TestRandom(state: 3)
        let onset = 3000
        var values: [Double] = []
        for index in 0..<3400 {
            let hour = Double(index % 288) / 12
            var value = kind == .seasonal ? 10 + 8 * exp(-pow(hour - 8, 2) / 2) + 0.5 * random.gaussian() : 10 + random.gaussian()
            switch kind {
            case .spike where index == onset: value += 12
            case .levelShift where index >= onset: value += 6
            case .frozen where index >= onset: value = values[onset - 1]
            case .varianceChange where index >= onset: value = 10 + 5 * random.gaussian()
            case .seasonal where index / 288 == onset / 288: value = 10 + 0.5 * random.gaussian()
            default: break
            }
            values.append(value)
        }
        let scores = self.run(values)
        let start = kind == .seasonal ? (onset / 288) * 288 : onset
        let alarm = try #require(scores[start...].firstIndex { $0.score >= 0.5 }, "no alarm for \(kind)")
        #expect(alarm - start < 120, "\(kind) seen only after \(alarm - start) values")
        // A burst of noise first shows as an outlier.
        #expect(scores[alarm].kind == kind || (kind == .varianceChange && scores[alarm].kind == .spike))
        #expect(scores[..<start].dropFirst(700).filter { $0.score >= 0.5 }.count <= 3)
    }

    @Test("raises one alarm per episode, not one per value")
    func oneAlarmPerEpisode() {
        var values = self.noise(4000, seed: 4)
        for index in 3000..<3200 { values[index] += 8 }
        let alarms = self.run(values)[3000..<3200].filter { $0.score >= 0.5 }.count
        #expect(alarms >= 1 && alarms <= 4)
    }

    @Test("is deterministic")
    func deterministic() {
        let values = self.noise(2000, seed: 5)
        let (first, second) = (self.run(values), self.run(values))
        #expect(first.map(\.score) == second.map(\.score) && first.map(\.kind) == second.map(\.kind))
    }

    @Test("a constant series that moves once is an anomaly; one that moves often is not")
    func constantSeries() {
        var values = [Double](repeating: 3, count: 1000)
        values[800] = 3.5
        #expect(self.run(values)[800].score >= 0.5)
        let steps = (0..<3000).map { Double($0 / 10 % 5) }
        #expect(self.run(steps).dropFirst(1500).filter { $0.score >= 0.5 }.count <= 3)
    }
}
