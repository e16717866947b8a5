import Foundation
import Logging
import MQTTCodec
import NIOCore
import ServiceLifecycle
import Synchronization

/// Drives one simulated device until shutdown: connects with its certificate, reports its posture and
/// settings, publishes a reading per simulated second, acknowledges desired state by reporting it, and
/// reconnects after the platform closes its connection (as a quarantined or flooding device sees).
struct DeviceRunner: Sendable {
    struct Endpoint: Sendable {
        let host: String
        let port: Int
        let httpsURL: String
        let group: any EventLoopGroup
    }

    let device: SimulatedDevice
    let directory: String
    let endpoint: Endpoint
    let clock: DemoClock
    let logger: Logger
    /// Opens before the device starts (CNC machines wait for the bearing RUL model).
    var gate: DemoGate?

    var topicRoot: String { "tg/default/\(self.device.twinID)" }

    func run() async {
        await self.gate?.wait()
        var state = DeviceState(self.device)
        var firstConnection = true
        var bursts = 0
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let connection = try await DeviceConnection.open(
                    host: self.endpoint.host, port: self.endpoint.port, group: self.endpoint.group, clientID: self.device.twinID,
                    identity: (self.directory + "/device.crt", self.directory + "/device.key", self.directory + "/ca.crt"),
                    trusting: self.directory + "/ca.crt")
                let connectedAt = ContinuousClock.now
                defer { connection.close() }
                try await connection.subscribe(self.topicRoot + "/desired")
                try await connection.publish(self.topicRoot + "/posture", self.device.posture(at: self.clock.elapsed))
                if firstConnection {
                    // Settings and firmware once; after that, only acknowledgements of desired state.
                    try await self.report(self.device.settings, firmware: true, on: connection)
                    firstConnection = false
                }
                let listener = Task {
                    // Desired state: apply it and report it back, which is the acknowledgement.
                    for await message in connection.incoming where message.topic == self.topicRoot + "/desired" {
                        let delta = Self.delta(message.payload)
                        guard !delta.isEmpty else { continue }
                        try? await self.report(delta, firmware: false, on: connection)
                    }
                }
                defer { listener.cancel() }
                try await self.publishReadings(on: connection, state: &state, bursts: &bursts)
                // Closed soon after connecting (quarantined, over quota): back off as if refused.
                failures = ContinuousClock.now - connectedAt < .seconds(10) ? failures + 1 : 0
            } catch {
                failures += 1
                self.logger.debug("demo device could not connect", metadata: ["twin": "\(self.device.twinID)", "error": "\(error)"])
            }
            // Back off: 2 s after a dropped connection, up to 30 s while refused (revoked or blocked).
            let pause = min(30, 2 * Double(max(failures, 1)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(pause)) }
        }
    }

    /// Telemetry every ``DemoClock/interval`` and posture every 15 simulated seconds, until the connection drops.
    private func publishReadings(on connection: DeviceConnection, state: inout DeviceState, bursts: inout Int) async throws {
        var random = SystemRandomNumberGenerator()
        var lastPosture = self.clock.elapsed
        var last = self.clock.elapsed
        while connection.isActive && !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = self.clock.elapsed
            let values = self.device.telemetry(at: now, step: max(now - last, 0), state: &state, random: &random)
            last = now
            if !values.isEmpty { try await connection.publish(self.topicRoot + "/telemetry", Self.json(values)) }
            if now - lastPosture >= 15 {
                lastPosture = now
                try await connection.publish(self.topicRoot + "/posture", self.device.posture(at: now))
            }
            if case .flood(let at, let perSecond, let seconds, let limit) = self.device.incident, bursts < limit, now >= at {
                bursts += 1
                try await self.flood(connection, perSecond: perSecond, seconds: seconds, state: &state, random: &random)
            }
            try await Task.sleep(for: .seconds(self.clock.interval))
        }
    }

    /// A burst far above the device's rate limit, bounded in count and time; the broker refuses the excess
    /// and closes the connection after a run of refusals.
    private func flood(
        _ connection: DeviceConnection, perSecond: Int, seconds: Double, state: inout DeviceState, random: inout SystemRandomNumberGenerator
    ) async throws {
        let batches = Int(seconds * 20)
        for _ in 0..<batches where connection.isActive {
            for _ in 0..<max(1, perSecond / 20) {
                let values = self.device.telemetry(at: self.clock.elapsed, step: 0, state: &state, random: &random)
                try await connection.publish(self.topicRoot + "/telemetry", Self.json(values))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func report(_ values: [String: Double], firmware: Bool, on connection: DeviceConnection) async throws {
        var document: [String: Any] = values
        if firmware { document["firmware_version"] = self.device.firmware }
        guard !document.isEmpty else { return }
        try await connection.publish(self.topicRoot + "/reported", DemoOperator.json(document))
    }

    /// The numeric values of a desired-state message (`{"version": n, "delta": {...}}`).
    static func delta(_ payload: ByteBuffer) -> [String: Double] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.readableBytesView)) as? [String: Any],
            let delta = object["delta"] as? [String: Any]
        else { return [:] }
        return delta.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    static func json(_ values: [String: Double]) -> String {
        "{" + values.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }
}

/// A one-time signal: devices wait on it until the demo opens it (or shutdown).
final class DemoGate: Sendable {
    private let isOpen = Mutex(false)

    func open() { self.isOpen.withLock { $0 = true } }

    func wait() async {
        while !self.isOpen.withLock({ $0 }) && !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
