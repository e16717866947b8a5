import Foundation
import MQTTCodec
import NIOCore
import NIOPosix

/// One simulated device of the demo fleet: connects over MQTT like a real device and publishes
/// telemetry as JSON on `tg/{tenant}/{twinId}/telemetry`.
struct SimulatedDevice: Sendable {
    /// A telemetry field and how its value moves.
    struct Signal: Sendable {
        let name: String
        let base: Double
        let amplitude: Double
        let periodSeconds: Double
        /// Largest random deviation, in the signal's unit.
        let noise: Double
    }

    let twinID: String
    let signals: [Signal]

    /// The telemetry payload at `elapsed` seconds of simulated time.
    func telemetry(at elapsed: Double, random: inout some RandomNumberGenerator) -> String {
        var fields: [String] = []
        for signal in self.signals {
            let wave = signal.amplitude * sin(2 * Double.pi * elapsed / signal.periodSeconds)
            let jitter = signal.noise == 0 ? 0 : Double.random(in: -signal.noise...signal.noise, using: &random)
            let value = ((signal.base + wave + jitter) * 1000).rounded() / 1000
            fields.append("\"\(signal.name)\":\(value)")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// The demo fleet of issue one: a few machines of a factory and a ship's engine room.
    static let fleet: [SimulatedDevice] = [
        SimulatedDevice(
            twinID: "cnc-01",
            signals: [
                Signal(name: "spindle_vibration_mm_s", base: 2.1, amplitude: 0.4, periodSeconds: 30, noise: 0.2),
                Signal(name: "temperature_c", base: 41, amplitude: 3, periodSeconds: 120, noise: 0.3),
                Signal(name: "current_a", base: 12, amplitude: 2, periodSeconds: 15, noise: 0.5),
            ]),
        SimulatedDevice(
            twinID: "conveyor-01",
            signals: [
                Signal(name: "speed_m_s", base: 1.2, amplitude: 0.1, periodSeconds: 60, noise: 0.1),
                Signal(name: "motor_temperature_c", base: 38, amplitude: 2, periodSeconds: 90, noise: 0.2),
            ]),
        SimulatedDevice(
            twinID: "compressor-01",
            signals: [
                Signal(name: "pressure_bar", base: 7.5, amplitude: 0.5, periodSeconds: 40, noise: 0.2),
                Signal(name: "power_kw", base: 22, amplitude: 4, periodSeconds: 40, noise: 0.5),
            ]),
        SimulatedDevice(
            twinID: "engine-port",
            signals: [
                Signal(name: "rpm", base: 720, amplitude: 15, periodSeconds: 50, noise: 2),
                Signal(name: "exhaust_gas_temperature_c", base: 380, amplitude: 12, periodSeconds: 80, noise: 2),
                Signal(name: "lube_oil_pressure_bar", base: 4.2, amplitude: 0.2, periodSeconds: 70, noise: 0.1),
            ]),
        SimulatedDevice(
            twinID: "air-quality-01",
            signals: [
                Signal(name: "pm25_ug_m3", base: 14, amplitude: 6, periodSeconds: 300, noise: 1),
                Signal(name: "no2_ug_m3", base: 28, amplitude: 9, periodSeconds: 300, noise: 1),
            ]),
    ]
}
