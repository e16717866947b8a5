import Foundation
import Logging
import ServiceLifecycle

/// The demo's attacker: a device that enrolls first with an enrollment token stolen from the
/// installer of a new streetlight, then tries to read the whole fleet's topics, spoofs another device's
/// telemetry and reports an open telnet service. The platform refuses each attempt, audits it and lowers
/// the device's trust until it is cut off; the real streetlight's enrollment with the used token is
/// refused. Bounded: about thirty seconds of attempts.
struct RogueDevice: Sendable {
    let token: String
    let directory: String
    let endpoint: DeviceRunner.Endpoint
    let clock: DemoClock
    let logger: Logger
    /// Where the real device would keep its identity.
    let legitimateDirectory: String

    func run() async {
        while self.clock.elapsed < DemoFleetCatalog.rogueAt {
            guard (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: .milliseconds(200)) })) != nil else { return }
        }
        let twin = DemoFleetCatalog.stolenTokenTwin
        do {
            _ = try await DeviceEnrollment.enroll(server: self.endpoint.httpsURL, token: self.token, directory: self.directory)
            // The installer's real streetlight now tries the same token.
            await self.legitimateEnrollment()
            let connection = try await DeviceConnection.open(
                host: self.endpoint.host, port: self.endpoint.port, group: self.endpoint.group, clientID: twin,
                identity: (self.directory + "/device.crt", self.directory + "/device.key", self.directory + "/ca.crt"),
                trusting: self.directory + "/ca.crt")
            defer { connection.close() }
            try await connection.publish(
                "tg/default/\(twin)/posture", #"{"firmware_version": "2.6.1", "secure_boot": false, "open_services": ["mqtt", "telnet"]}"#)
            for _ in 0..<15 where connection.isActive && !Task.isShuttingDownGracefully {
                try await connection.subscribe("tg/#")
                try await connection.publish("tg/default/traffic-01/telemetry", #"{"vehicles_per_min": 0, "mean_speed_kmh": 0}"#)
                try await connection.publish("tg/default/cnc-01/desired", #"{"feed_rate_percent": 150}"#)
                try await Task.sleep(for: .seconds(2))
            }
        } catch {
            self.logger.debug("demo rogue device stopped", metadata: ["error": "\(error)"])
        }
    }

    private func legitimateEnrollment() async {
        do {
            _ = try await DeviceEnrollment.enroll(server: self.endpoint.httpsURL, token: self.token, directory: self.legitimateDirectory)
        } catch {
            self.logger.debug("demo streetlight enrollment refused", metadata: ["error": "\(error)"])
        }
    }
}
