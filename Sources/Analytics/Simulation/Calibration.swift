import Foundation
import TwinGuardCore

/// Fits a state model's parameters to a twin's recorded history (its state field and input fields)
/// by least squares on the state's changes, and reports how well one-step predictions then match.
public enum Calibration {
    /// Aligned samples: the state and each input at the state's timestamps (seconds).
    public struct Samples: Sendable {
        public var times: [Double]
        public var state: [Double]
        /// Input name → values at `times` (the last recorded value at or before each time).
        public var inputs: [String: [Double]]

        public init(times: [Double], state: [Double], inputs: [String: [Double]]) {
            self.times = times
            self.state = state
            self.inputs = inputs
        }
    }

    /// The fitted parameters and the quality of the fit.
    public struct Fit: Codable, Sendable {
        public var kind: StateModelKind
        public var parameters: [String: Double]
        /// Parameters kept from the model because the history does not determine them.
        public var unchanged: [String]
        public var samples: Int
        /// Root-mean-square error of one-step predictions of the state.
        public var rmse: Double
        /// Share of the variance of the state's changes explained by the model (1 is perfect).
        public var rSquared: Double
    }

    public static func fit(_ definition: StateModelDefinition, samples: Samples) throws(AnalyticsError) -> Fit {
        let dynamics = StateDynamics.of(definition.kind)
        let n = samples.times.count
        guard n >= 10 else {
            throw AnalyticsError(.notEnoughData, "\(n) recorded values of the state; calibration needs at least 10")
        }
        func input(_ name: String) -> [Double] {
            samples.inputs[name] ?? [Double](repeating: definition.inputs?[name] ?? dynamics.inputs.first { $0.name == name }!.defaultValue, count: n)
        }
        var parameters = definition.parameters ?? [:]
        for parameter in dynamics.parameters where parameters[parameter.name] == nil { parameters[parameter.name] = parameter.defaultValue }
        var fitted: Set<String> = []
        let dt = (1..<n).map { samples.times[$0] - samples.times[$0 - 1] }
        guard dt.allSatisfy({ $0 > 0 }) else { throw AnalyticsError(.malformedInput, "the recorded times do not increase") }
        let change = (1..<n).map { samples.state[$0] - samples.state[$0 - 1] }
        let rate = zip(change, dt).map { $0 / $1 }
        let previous = Array(samples.state.dropLast())
        let regular = dt.allSatisfy { abs($0 - dt[0]) <= 0.01 * dt[0] }

        switch definition.kind {
        case .thermal:
            let ambient = input("ambient").dropLast()
            let power = Array(input("power").dropLast())
            let gap = zip(ambient, previous).map { $0 - $1 }
            let varies = Self.variance(power) > 1e-12
            let target = regular ? change : rate
            let coefficients = varies ? Self.leastSquares([gap, power], target) : Self.leastSquares([zip(gap, power).map { $0 + (parameters["gain"] ?? 1) * $1 }], target)
            guard let c1 = coefficients?.first, c1 > 0, c1 < (regular ? 1 : .infinity) else {
                throw AnalyticsError(.notEnoughData, "the history does not show the temperature relaxing towards ambient + gain × power; record a change of power or ambient")
            }
            parameters["tau"] = regular ? -dt[0] / log(1 - c1) : 1 / c1
            fitted.insert("tau")
            if varies, let c2 = coefficients?[1] {
                parameters["gain"] = c2 / c1
                fitted.insert("gain")
            }
        case .wear:
            let load = Array(input("load").dropLast())
            let nominal = parameters["nominal"] ?? 1
            let usable = rate.indices.filter { rate[$0] > 0 && load[$0] > 0 }
            guard usable.count >= 5 else { throw AnalyticsError(.notEnoughData, "the wear does not grow in the history; nothing to fit") }
            if Self.variance(usable.map { load[$0] }) > 1e-12,
                let line = Self.line(usable.map { log(load[$0] / nominal) }, usable.map { log(rate[$0]) })
            {
                parameters["rate"] = exp(line.intercept)
                parameters["exponent"] = line.slope
                fitted.formUnion(["rate", "exponent"])
            } else {
                let exponent = parameters["exponent"] ?? 1
                parameters["rate"] = usable.map { rate[$0] / pow(load[$0] / nominal, exponent) }.reduce(0, +) / Double(usable.count)
                fitted.insert("rate")
            }
        case .tank:
            let net = zip(input("inflow"), input("outflow")).map { $0 - $1 }.dropLast()
            let capacity = parameters["capacity"] ?? .infinity
            let usable = rate.indices.filter { previous[$0] > 0 && samples.state[$0 + 1] > 0 && samples.state[$0 + 1] < capacity && abs(net[$0]) > 0 }
            let flows = usable.map { net[$0] }
            guard usable.count >= 5, let inverse = Self.leastSquares([flows], usable.map { rate[$0] })?.first, inverse > 0 else {
                throw AnalyticsError(.notEnoughData, "the history shows no level change with flow; record inflow and outflow")
            }
            parameters["area"] = 1 / inverse
            fitted.insert("area")
        case .battery:
            let charge = Array(input("chargeW").dropLast())
            let discharge = Array(input("dischargeW").dropLast())
            let usable = rate.indices.filter { previous[$0] > 0 && previous[$0] < 1 && samples.state[$0 + 1] > 0 && samples.state[$0 + 1] < 1 }
            let hourly = usable.map { rate[$0] * 3600 }
            guard usable.count >= 5,
                let coefficients = Self.leastSquares([usable.map { charge[$0] }, usable.map { -discharge[$0] }], hourly),
                coefficients[0] > 0, coefficients[1] > 0
            else {
                throw AnalyticsError(.notEnoughData, "the history needs both charging and discharging within 0–100 % to fit capacity and efficiency")
            }
            let efficiency = min((coefficients[0] / coefficients[1]).squareRoot(), 1)
            parameters["efficiency"] = efficiency
            parameters["capacityWh"] = efficiency / coefficients[0]
            fitted.formUnion(["efficiency", "capacityWh"])
        case .queue:
            let arrivals = Array(input("arrivalRate").dropLast())
            let usable = rate.indices.filter { previous[$0] > 0 && samples.state[$0 + 1] > 0 }
            guard usable.count >= 5 else { throw AnalyticsError(.notEnoughData, "the queue was never busy in the history; nothing to fit") }
            parameters["serviceRate"] = max(0, usable.map { arrivals[$0] - rate[$0] }.reduce(0, +) / Double(usable.count))
            fitted.insert("serviceRate")
        }

        // One-step predictions with the fitted parameters.
        let ordered = try dynamics.resolve([:], parameters)
        var random = SplitMix(state: 0)
        var squared = 0.0
        var changes: [Double] = []
        let inputSeries = dynamics.inputs.map { input($0.name) }
        for index in 1..<n {
            let inputs = inputSeries.map { $0[index - 1] }
            let predicted = dynamics.advance(samples.state[index - 1], parameters: ordered, inputs: inputs, dt: dt[index - 1], random: &random, stochastic: false)
            squared += pow(predicted - samples.state[index], 2)
            changes.append(samples.state[index] - samples.state[index - 1])
        }
        let rmse = (squared / Double(n - 1)).squareRoot()
        let spread = Self.variance(changes) * Double(changes.count)
        return Fit(
            kind: definition.kind, parameters: Dictionary(uniqueKeysWithValues: zip(dynamics.parameters.map(\.name), ordered)),
            unchanged: dynamics.parameters.map(\.name).filter { !fitted.contains($0) }, samples: n, rmse: rmse,
            rSquared: spread > 0 ? 1 - squared / spread : (squared == 0 ? 1 : 0))
    }

    static func variance(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    }

    static func line(_ x: [Double], _ y: [Double]) -> (slope: Double, intercept: Double)? {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n
        let my = y.reduce(0, +) / n
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        guard sxx > 0 else { return nil }
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        return (sxy / sxx, my - sxy / sxx * mx)
    }

    /// Least squares without intercept for up to a few columns (normal equations).
    static func leastSquares(_ columns: [[Double]], _ y: [Double]) -> [Double]? {
        let m = columns.count
        var matrix = [Double](repeating: 0, count: m * (m + 1))
        for i in 0..<m {
            for j in 0..<m { matrix[i * (m + 1) + j] = zip(columns[i], columns[j]).reduce(0) { $0 + $1.0 * $1.1 } }
            matrix[i * (m + 1) + m] = zip(columns[i], y).reduce(0) { $0 + $1.0 * $1.1 }
        }
        guard let solution = RelationDetector.solve(&matrix, size: m), solution.allSatisfy(\.isFinite) else { return nil }
        return solution
    }
}
