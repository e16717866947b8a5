import Analytics
import Foundation

/// One simulated device of the demo fleet: what it measures and how the values move. It knows nothing of
/// the platform's analytics: its incidents (wear, drift, a stuck sensor) only change the numbers it sends.
struct SimulatedDevice: Sendable {
    /// A telemetry field: a base value, a slow wave and noise.
    struct Signal: Sendable {
        let name: String
        let base: Double
        let amplitude: Double
        let periodSeconds: Double
        /// Largest random deviation, in the signal's unit.
        let noise: Double
    }

    /// What goes wrong with the device during the demo.
    enum Incident: Sendable {
        /// The spindle bearing wears out over `life` cycles; then the machine halts (no more readings).
        case bearingWear(life: Double)
        /// A sensor drifts away, `perSecond` of its unit each simulated second, from `at` seconds.
        case drift(field: String, at: Double, perSecond: Double)
        /// A sensor repeats its last reading from `at` seconds on.
        case stuck(field: String, at: Double)
        /// From `at` simulated seconds, sends `perSecond` messages a second for up to `seconds` real seconds
        /// after each of its next `bursts` connections.
        case flood(at: Double, perSecond: Int, seconds: Double, bursts: Int)
        /// Reboots into old firmware `version` at `at` seconds.
        case firmwareRollback(at: Double, version: String)
    }

    let twinID: String
    let model: String
    let site: String
    let area: String
    let signals: [Signal]
    /// Relationship name → target twin.
    var relationships: [(name: String, target: String)] = []
    var incident: Incident?
    var firmware = "2.6.1"
    /// Writable property → its starting value (reported at connect).
    var settings: [String: Double] = [:]

    /// Whether the device's telemetry follows the CNC bearing physics the RUL model is trained on.
    var isCNC: Bool { self.model == DemoModels.cnc }
}

/// The moving state of one device while it runs: the bearing's age, the stuck value, the cycle count.
struct DeviceState: Sendable {
    var bearingAge: Double
    var bearingLife: Double
    var cycles = 0
    var stuckValue: Double?
    var energy = 0.0

    init(_ device: SimulatedDevice) {
        if case .bearingWear(let life) = device.incident {
            self.bearingAge = 0
            self.bearingLife = life
        } else {
            // A healthy bearing: far from the end of its life.
            self.bearingAge = 20
            self.bearingLife = 100_000
        }
    }
}

extension SimulatedDevice {
    /// The telemetry at `elapsed` simulated seconds, advancing `state` by one reading; empty once the
    /// machine has halted.
    func telemetry(at elapsed: Double, step: Double, state: inout DeviceState, random: inout some RandomNumberGenerator) -> [String: Double] {
        var values: [String: Double] = [:]
        for signal in self.signals {
            let wave = signal.amplitude * sin(2 * Double.pi * elapsed / signal.periodSeconds)
            let jitter = signal.noise == 0 ? 0 : Double.random(in: -signal.noise...signal.noise, using: &random)
            values[signal.name] = signal.base + wave + jitter
        }
        if self.isCNC {
            // A failed bearing halts the machine until someone replaces it.
            guard state.bearingAge < state.bearingLife else { return [:] }
            state.cycles += 1
            state.bearingAge += 1
            for (name, value) in BearingPhysics.reading(health: state.bearingAge / state.bearingLife, random: &random) {
                values[name] = value
            }
            values["cycle_count"] = Double(state.cycles)
        }
        if values["energy_kwh"] != nil, let power = values["power_kw"] {
            state.energy += power * step / 3600
            values["energy_kwh"] = 12_000 + state.energy
        }
        switch self.incident {
        case .drift(let field, let at, let perSecond) where elapsed > at:
            values[field]? += perSecond * (elapsed - at)
        case .stuck(let field, let at) where elapsed > at:
            if let stuck = state.stuckValue { values[field] = stuck } else { state.stuckValue = values[field] }
        default: break
        }
        return values.mapValues { ($0 * 1000).rounded() / 1000 }
    }

    /// The posture report the device sends at connect and every minute.
    func posture(at elapsed: Double) -> String {
        var version = self.firmware
        if case .firmwareRollback(let at, let old) = self.incident, elapsed >= at { version = old }
        return #"{"firmware_version": "\#(version)", "secure_boot": true, "open_services": ["mqtt"], "patch_level": "2026-10"}"#
    }
}

/// How a CNC spindle bearing's vibration, temperature and current grow as it wears (health 0 new, 1 failed).
/// The RUL model the demo trains learns from run-to-failure histories made by the same physics.
enum BearingPhysics {
    static func reading(health: Double, random: inout some RandomNumberGenerator) -> [String: Double] {
        let h = min(max(health, 0), 1)
        let wear = (exp(3.2 * h) - 1) / (exp(3.2) - 1)
        return [
            "spindle_vibration_mm_s": 2.0 + 6.5 * wear + Double.random(in: -0.25...0.25, using: &random),
            "temperature_c": 41 + 14 * wear * wear + Double.random(in: -0.6...0.6, using: &random),
            "current_a": 12 + 2.5 * wear + Double.random(in: -0.4...0.4, using: &random),
        ]
    }

    /// Run-to-failure histories in the turbofan text format (`unit cycle 3 settings sensors…`), one unit per
    /// bearing, for `POST /api/v1/models/{id}/rul/train`.
    static func trainingHistories(units: Int, seed: UInt64) -> String {
        var random = SplitMix(state: seed)
        var lines: [String] = []
        for unit in 1...units {
            let life = Int.random(in: 150...320, using: &random)
            for cycle in 1...life {
                let reading = Self.reading(health: Double(cycle) / Double(life), random: &random)
                let sensors = ["spindle_vibration_mm_s", "temperature_c", "current_a"].map { String(format: "%.3f", reading[$0]!) }
                lines.append("\(unit) \(cycle) 0 0 0 " + sensors.joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
