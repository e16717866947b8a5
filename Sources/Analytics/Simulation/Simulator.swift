import TwinGuardCore

/// What-if simulation: runs a twin's state model forward from its current state under changed inputs.
public enum Simulator {
    /// At most this many steps in one run (ten years at one-minute steps).
    public static let maximumSteps = 5_300_000
    /// The shortest step, in seconds (1 µs).
    public static let shortestStep = 1e-6
    /// The longest horizon or step, in seconds: 100 years, so that times in the result stay within ``TimeBounds``.
    public static let longestSeconds: Double = 100 * 366 * 86_400

    /// A simulation request (`POST /api/v1/twins/{id}/simulate`).
    public struct Request: Codable, Sendable {
        /// Seconds to simulate.
        public var horizon: Double
        /// Seconds per step (default 60).
        public var step: Double?
        /// Input values for the whole run (over the model's defaults).
        public var inputs: [String: Double]?
        /// Input changes at given seconds into the run.
        public var schedule: [ScheduledInputs]?
        /// Standard deviation of Gaussian noise on inputs, per input (drawn with `seed`).
        public var noise: [String: Double]?
        /// Draw queue arrivals and services at random (a queue model only).
        public var stochastic: Bool?
        public var seed: UInt64?
        /// Parameter values over the model's (e.g. from a calibration).
        public var parameters: [String: Double]?
        /// The starting state instead of the twin's current one.
        public var initial: Double?
        /// Extra thresholds to predict crossings of.
        public var thresholds: [StateThreshold]?
        /// Points of trajectory to return (default 1000, at most 10000).
        public var points: Int?

        public init(horizon: Double, step: Double? = nil) {
            self.horizon = horizon
            self.step = step
        }
    }

    public struct ScheduledInputs: Codable, Sendable {
        /// Seconds into the run.
        public var at: Double
        public var inputs: [String: Double]
    }

    /// The predicted crossing of a threshold.
    public struct Crossing: Codable, Sendable, Equatable {
        public var name: String
        /// Seconds into the run.
        public var after: Double
        public var time: String
        public var value: Double
        public var failure: Bool
    }

    /// A run's outcome.
    public struct Result: Codable, Sendable {
        public var kind: StateModelKind
        public var variable: String
        public var start: String
        public var step: Double
        public var steps: Int
        public var initial: Double
        public var final: Double
        public var minimum: Double
        public var maximum: Double
        public var parameters: [String: Double]
        public var inputs: [String: Double]
        /// Seconds into the run, and the state then (evenly thinned to `points`).
        public var times: [Double]
        public var values: [Double]
        public var crossings: [Crossing]
        /// Seconds until the first failure threshold is crossed, if it is within the horizon.
        public var timeToFailure: Double?
    }

    /// Runs `definition` from `initial` (the twin's current state) at `now` (ns).
    public static func run(_ definition: StateModelDefinition, initial current: Double?, request: Request, now: Int64) throws(AnalyticsError) -> Result {
        let dynamics = StateDynamics.of(definition.kind)
        let parameters = try dynamics.resolve(definition.parameters ?? [:], request.parameters ?? [:])
        let step = request.step ?? 60
        guard step.isFinite, step >= Self.shortestStep, step <= Self.longestSeconds else {
            throw AnalyticsError(.invalidParameters, "step must be a number of seconds from \(Self.shortestStep) to \(Self.longestSeconds)")
        }
        guard request.horizon.isFinite, request.horizon > 0, request.horizon <= Self.longestSeconds else {
            throw AnalyticsError(.invalidParameters, "horizon must be a positive number of seconds up to \(Self.longestSeconds)")
        }
        // Compare as a Double before converting: Int(∞) or Int(1e300) would trap.
        let ratio = (request.horizon / step).rounded(.up)
        guard ratio <= Double(Self.maximumSteps) else {
            throw AnalyticsError(
                .invalidParameters,
                "\(ratio < 1e15 ? String(Int64(ratio)) : String(ratio)) steps is more than \(Self.maximumSteps); use a longer step or a shorter horizon")
        }
        let steps = Int(ratio)
        guard let initial = request.initial ?? current, initial.isFinite else {
            throw AnalyticsError(.notEnoughData, "the twin has no current \(dynamics.variable)"
                + (definition.stateField.map { " (field '\($0)' has no value yet)" } ?? " (the model names no stateField)") + "; send 'initial'")
        }
        let inputNames = dynamics.inputs.map(\.name)
        func inputValues(_ values: [String: Double]?, over base: [Double]) throws(AnalyticsError) -> [Double] {
            var result = base
            for (name, value) in values ?? [:] {
                guard let index = inputNames.firstIndex(of: name) else {
                    throw AnalyticsError(.invalidParameters, "'\(name)' is not an input of a \(definition.kind.rawValue) model; it takes \(inputNames.joined(separator: ", "))")
                }
                guard value.isFinite else { throw AnalyticsError(.invalidParameters, "input '\(name)' must be a finite number") }
                result[index] = value
            }
            return result
        }
        var inputs = try inputValues(request.inputs, over: try inputValues(definition.inputs, over: dynamics.inputs.map(\.defaultValue)))
        let startInputs = inputs
        for change in request.schedule ?? [] where !(change.at.isFinite && change.at >= 0 && change.at <= request.horizon) {
            throw AnalyticsError(.invalidParameters, "a schedule entry's 'at' must be a number of seconds from 0 to the horizon")
        }
        var schedule = (request.schedule ?? []).sorted { $0.at < $1.at }.map { change in
            (step: Int((change.at / step).rounded(.down)), change: change)
        }
        schedule.reverse()
        let noise = try inputValues(request.noise, over: inputNames.map { _ in 0 })
        let thresholds = (definition.thresholds ?? []) + (request.thresholds ?? [])
            + (definition.kind == .wear && !(definition.thresholds ?? []).contains { $0.failure == true }
                ? [StateThreshold(name: "failure", above: parameters[3], failure: true)] : [])
        let points = min(max(request.points ?? 1000, 2), 10_000)
        let stride = max(1, steps / (points - 1))
        var random = SplitMix(state: request.seed ?? 0)
        var state = initial
        var times: [Double] = [0]
        var values: [Double] = [initial]
        times.reserveCapacity(points + 1)
        values.reserveCapacity(points + 1)
        var crossings: [Crossing] = []
        var crossed = [Bool](repeating: false, count: thresholds.count)
        for (index, threshold) in thresholds.enumerated() {
            crossed[index] = threshold.above.map { initial > $0 } ?? false || threshold.below.map { initial < $0 } ?? false
        }
        var minimum = initial
        var maximum = initial
        let stochastic = request.stochastic == true && definition.kind == .queue
        let noisy = noise.contains { $0 > 0 }
        var stepInputs = inputs
        for index in 1...max(steps, 1) {
            while let next = schedule.last, next.step < index {
                inputs = try inputValues(next.change.inputs, over: inputs)
                schedule.removeLast()
            }
            if noisy {
                for input in inputs.indices { stepInputs[input] = inputs[input] + noise[input] * random.gaussian() }
            } else {
                stepInputs = inputs
            }
            state = dynamics.advance(state, parameters: parameters, inputs: stepInputs, dt: step, random: &random, stochastic: stochastic)
            minimum = min(minimum, state)
            maximum = max(maximum, state)
            for (position, threshold) in thresholds.enumerated() where !crossed[position] {
                if threshold.above.map({ state > $0 }) ?? false || threshold.below.map({ state < $0 }) ?? false {
                    crossed[position] = true
                    let after = Double(index) * step
                    crossings.append(Crossing(
                        name: threshold.name, after: after, time: RFC3339.format(now &+ TimeBounds.clampedTime(secondsSinceEpoch: after)), value: state,
                        failure: threshold.failure == true))
                }
            }
            if index % stride == 0 || index == steps {
                times.append(Double(index) * step)
                values.append(state)
            }
        }
        guard state.isFinite else {
            throw AnalyticsError(.invalidParameters, "the simulation diverged (the state is no longer a finite number); check the parameters and inputs")
        }
        return Result(
            kind: definition.kind, variable: dynamics.variable, start: RFC3339.format(now), step: step, steps: steps, initial: initial,
            final: state, minimum: minimum, maximum: maximum,
            parameters: Dictionary(uniqueKeysWithValues: zip(dynamics.parameters.map(\.name), parameters)),
            inputs: Dictionary(uniqueKeysWithValues: zip(inputNames, startInputs)), times: times, values: values, crossings: crossings,
            timeToFailure: crossings.first { $0.failure }?.after)
    }
}
