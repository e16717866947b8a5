import Foundation
import TwinGuardCore

/// The equations of each kind of state model: its one state variable, parameters (with defaults where
/// one makes sense, and valid ranges), inputs, and one step forward.
struct StateDynamics: Sendable {
    struct Parameter: Sendable {
        var name: String
        var defaultValue: Double?
        var range: ClosedRange<Double>
        var meaning: String
    }

    let kind: StateModelKind
    let variable: String
    let parameters: [Parameter]
    let inputs: [(name: String, defaultValue: Double)]

    static func of(_ kind: StateModelKind) -> StateDynamics {
        switch kind {
        case .thermal:
            StateDynamics(
                kind: kind, variable: "temperature",
                parameters: [
                    .init(name: "tau", defaultValue: nil, range: 1e-3...1e9, meaning: "time constant in seconds"),
                    .init(name: "gain", defaultValue: 1, range: -1e6...1e6, meaning: "degrees per unit of power at steady state"),
                ],
                inputs: [("ambient", 20), ("power", 0)])
        case .wear:
            StateDynamics(
                kind: kind, variable: "wear",
                parameters: [
                    .init(name: "rate", defaultValue: nil, range: 0...1e6, meaning: "wear per second at nominal load"),
                    .init(name: "exponent", defaultValue: 1, range: 0...10, meaning: "how wear grows with relative load"),
                    .init(name: "nominal", defaultValue: 1, range: 1e-9...1e12, meaning: "the nominal load"),
                    .init(name: "failureAt", defaultValue: 1, range: 1e-12...1e12, meaning: "the wear at which the part fails"),
                ],
                inputs: [("load", 1)])
        case .tank:
            StateDynamics(
                kind: kind, variable: "level",
                parameters: [
                    .init(name: "area", defaultValue: nil, range: 1e-9...1e9, meaning: "cross-section in m²"),
                    .init(name: "capacity", defaultValue: nil, range: 1e-9...1e9, meaning: "the highest level in m"),
                ],
                inputs: [("inflow", 0), ("outflow", 0)])
        case .battery:
            StateDynamics(
                kind: kind, variable: "soc",
                parameters: [
                    .init(name: "capacityWh", defaultValue: nil, range: 1e-6...1e12, meaning: "usable capacity in Wh"),
                    .init(name: "efficiency", defaultValue: 0.95, range: 0.01...1, meaning: "one-way charge/discharge efficiency"),
                ],
                inputs: [("chargeW", 0), ("dischargeW", 0)])
        case .queue:
            StateDynamics(
                kind: kind, variable: "length",
                parameters: [.init(name: "serviceRate", defaultValue: nil, range: 0...1e9, meaning: "items served per second")],
                inputs: [("arrivalRate", 0)])
        }
    }

    /// The parameters to run with: the model's, overridden by the request's, defaults for the rest.
    func resolve(_ model: [String: Double], _ overrides: [String: Double]) throws(AnalyticsError) -> [Double] {
        let known = Set(self.parameters.map(\.name))
        for name in model.keys.sorted() + overrides.keys.sorted() where !known.contains(name) {
            throw AnalyticsError(.invalidParameters, "'\(name)' is not a parameter of a \(self.kind.rawValue) model; it takes \(self.parameters.map(\.name).joined(separator: ", "))")
        }
        return try self.parameters.map { parameter throws(AnalyticsError) -> Double in
            guard let value = overrides[parameter.name] ?? model[parameter.name] ?? parameter.defaultValue else {
                throw AnalyticsError(.invalidParameters, "the \(self.kind.rawValue) model needs parameter '\(parameter.name)' (\(parameter.meaning)); set it in the model's stateModel.parameters or the request")
            }
            guard parameter.range.contains(value) else {
                throw AnalyticsError(.invalidParameters, "parameter '\(parameter.name)' = \(value) is outside \(parameter.range.lowerBound)...\(parameter.range.upperBound) (\(parameter.meaning))")
            }
            return value
        }
    }

    /// The state after `dt` seconds under constant inputs (exact for thermal, wear, tank, battery and the
    /// fluid queue; a stochastic queue draws arrivals and services).
    @inline(__always)
    func advance(_ state: Double, parameters p: [Double], inputs u: [Double], dt: Double, random: inout SplitMix, stochastic: Bool) -> Double {
        switch self.kind {
        case .thermal:
            let steady = u[0] + p[1] * u[1]
            return steady + (state - steady) * exp(-dt / p[0])
        case .wear:
            return state + p[0] * pow(max(u[0], 0) / p[2], p[1]) * dt
        case .tank:
            return min(max(state + (u[0] - u[1]) / p[0] * dt, 0), p[1])
        case .battery:
            let energy = (p[1] * max(u[0], 0) - max(u[1], 0) / p[1]) * dt / 3600
            return min(max(state + energy / p[0], 0), 1)
        case .queue:
            if stochastic {
                let arrivals = random.poisson(max(u[0], 0) * dt)
                let served = min(state + arrivals, random.poisson(p[0] * dt))
                return state + arrivals - served
            }
            return max(state + (u[0] - p[0]) * dt, 0)
        }
    }
}

extension SplitMix {
    /// A Poisson draw (Knuth's method for small means, a rounded normal for large ones).
    mutating func poisson(_ mean: Double) -> Double {
        guard mean > 0 else { return 0 }
        if mean > 30 { return max(0, (mean + mean.squareRoot() * self.gaussian()).rounded()) }
        let limit = exp(-mean)
        var product = self.unit()
        var count = 0.0
        while product > limit {
            count += 1
            product *= self.unit()
        }
        return count
    }

    /// A standard normal draw (Box–Muller).
    mutating func gaussian() -> Double {
        (-2 * log(max(self.unit(), 1e-300))).squareRoot() * cos(2 * .pi * self.unit())
    }
}
