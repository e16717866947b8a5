import Foundation
import Identity
import Logging
import MQTT
import ServiceLifecycle
import TwinGuardCore

/// Runs the demo: provisions the platform as an integrator would (over the HTTP API), enrolls every
/// simulated device over HTTPS with a one-time token, then runs each as a real device would: mutual-TLS
/// MQTT with its own certificate, posture reports, telemetry, and acknowledgements of desired state.
/// The incidents of ``DemoFleetCatalog`` only change what devices send; every alert, anomaly, RUL
/// estimate and quarantine comes from the platform.
public struct DemoFleet: Service {
    let server: TwinGuardServer
    let announcer: ListenerAnnouncer
    /// Simulated seconds per real second.
    let speed: Double
    let logger: Logger

    public init(server: TwinGuardServer, announcer: ListenerAnnouncer, speed: Double, logger: Logger) {
        self.server = server
        self.announcer = announcer
        self.speed = speed
        var logger = logger
        logger[metadataKey: "component"] = "demo"
        self.logger = logger
    }

    /// The console's administrator for the demo: a real user (`admin`, who needs a second factor), with a
    /// new random password at each start (their enrolled authenticator stays).
    /// - Returns: the user name and password to print.
    public static func prepareConsoleLogin(_ server: TwinGuardServer) async throws -> (user: String, password: String) {
        let user = "admin"
        let password = AccessPolicy.randomSecret()
        if server.identity.hasUser(user) {
            try await server.identity.resetPassword(name: user, password: password, by: .localAdministrator)
        } else {
            _ = try await server.identity.addUser(name: user, tenant: .default, role: .admin, password: password, actor: "demo")
        }
        return (user, password)
    }

    /// Where the devices keep their keys and certificates.
    var identitiesDirectory: String { self.server.configuration.dataDir + "/demo-devices" }

    public func run() async throws {
        let configuration = self.server.configuration
        guard configuration.httpPort != nil, configuration.httpsPort != nil,
            let mqtts = self.server.mqttServer.boundListeners.first(where: { $0.name == "mqtts" })
        else {
            self.announcer.line("demo: the simulated fleet needs the http, https and mqtts listeners (devices enroll over HTTPS and use mutual-TLS MQTT); it is not started")
            try? await gracefulShutdown()
            return
        }
        guard let httpPort = await self.server.httpPort.wait(), let httpsPort = await self.server.httpsPort.wait() else { return }
        let host = TwinGuardServer.loopback(mqtts.host).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let apiHost = TwinGuardServer.loopback(configuration.bind)
        let admin = DemoOperator(baseURL: "http://\(apiHost):\(httpPort)", token: self.server.adminFile.token)
        let clock = DemoClock(speed: self.speed)
        let devices = DemoFleetCatalog.devices
        do {
            try await admin.provision(devices)
            self.announcer.line("demo: \(DemoModels.all.count) models, \(devices.count) twins on 3 sites and the posture policy are in place")
            let enrolled = try await self.enrollMissing(devices, admin: admin, httpsURL: "https://\(apiHost):\(httpsPort)")
            self.announcer.line("demo: \(enrolled) device(s) enrolled over HTTPS with one-time tokens; every device connects with its own certificate")
        } catch {
            self.announcer.line("demo: provisioning failed: \(error)")
            self.logger.error("demo provisioning failed", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        let stolenToken = try? await admin.enrollmentToken(for: DemoFleetCatalog.stolenTokenTwin)
        let endpoint = DeviceRunner.Endpoint(host: host, port: mqtts.port, httpsURL: "https://\(apiHost):\(httpsPort)", group: self.server.eventLoops)
        // The CNC machines start once their RUL model is in place, so that it watches each bearing from new.
        let modelReady = DemoGate()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                do {
                    self.announcer.line("demo: \(try await admin.trainBearingModel())")
                } catch {
                    self.announcer.line("demo: the bearing RUL model could not be trained: \(error)")
                }
                modelReady.open()
            }
            for device in devices where device.twinID != DemoFleetCatalog.stolenTokenTwin || self.hasIdentity(device.twinID) {
                var runner = DeviceRunner(device: device, directory: self.identitiesDirectory + "/" + device.twinID, endpoint: endpoint, clock: clock, logger: self.logger)
                if device.isCNC { runner.gate = modelReady }
                group.addTask { await runner.run() }
            }
            if let stolenToken {
                let rogue = RogueDevice(
                    token: stolenToken, directory: self.identitiesDirectory + "/rogue", endpoint: endpoint, clock: clock, logger: self.logger,
                    legitimateDirectory: self.identitiesDirectory + "/" + DemoFleetCatalog.stolenTokenTwin)
                group.addTask { await rogue.run() }
            }
        }
    }

    private func hasIdentity(_ twin: String) -> Bool {
        FileManager.default.fileExists(atPath: self.identitiesDirectory + "/\(twin)/device.crt")
    }

    /// Enrolls the devices that have no certificate yet (not the one whose token the rogue steals).
    private func enrollMissing(_ devices: [SimulatedDevice], admin: DemoOperator, httpsURL: String) async throws -> Int {
        var count = 0
        for device in devices where !self.hasIdentity(device.twinID) && device.twinID != DemoFleetCatalog.stolenTokenTwin {
            let token = try await admin.enrollmentToken(for: device.twinID)
            _ = try await DeviceEnrollment.enroll(server: httpsURL, token: token, directory: self.identitiesDirectory + "/" + device.twinID)
            count += 1
        }
        return count
    }
}

/// The demo's simulated time: real seconds since start × speed.
struct DemoClock: Sendable {
    let speed: Double
    let start = ContinuousClock.now

    var elapsed: Double {
        let real = ContinuousClock.now - self.start
        return (Double(real.components.seconds) + Double(real.components.attoseconds) / 1e18) * self.speed
    }

    /// Real seconds between readings: one reading per simulated second, at most ten a second.
    var interval: Double { max(0.1, 1 / self.speed) }
}
