import Foundation

/// An exponentially weighted mean that starts as a plain average (so the first values count fully,
/// not against an arbitrary zero) and then forgets at a fixed rate.
struct ExponentialMean: Sendable {
    let rate: Double
    private(set) var value = 0.0
    private var count = 0.0

    init(rate: Double) { self.rate = rate }

    mutating func add(_ sample: Double) {
        self.count += 1
        let weight = max(self.rate, 1 / self.count)
        self.value += weight * (sample - self.value)
    }
}

/// The novelty of a component's value: how it compares with the largest value of that component in
/// the recent past (a maximum that halves over `halfLife` values), never below a floor that stands for
/// "ordinary" in the component's own units. A value as large as anything recently seen is not news;
/// one well beyond it is.
struct NoveltyReference: Sendable {
    private let decay: Double
    private let floor: Double
    private var maximum = 0.0

    init(halfLife: Double, floor: Double) {
        self.decay = pow(0.5, 1 / halfLife)
        self.floor = floor
    }

    /// The ratio of `value` to the reference.
    func ratio(_ value: Double) -> Double {
        value / max(self.maximum, self.floor)
    }

    /// Remembers `value`.
    mutating func observe(_ value: Double) {
        self.maximum = max(self.maximum * self.decay, value.isFinite ? value : self.maximum)
    }
}
