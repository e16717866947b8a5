import MQTT
import ServiceLifecycle

/// Prints, once the listeners are up, where the demo is and how to watch it.
public struct DemoGuide: Service {
    let announcer: ListenerAnnouncer
    let server: TwinGuardServer
    let username: String
    let password: String

    public init(announcer: ListenerAnnouncer, server: TwinGuardServer, username: String, password: String) {
        self.announcer = announcer
        self.server = server
        self.username = username
        self.password = password
    }

    public func run() async throws {
        var mqtt: BoundListener?
        while mqtt == nil && !Task.isShuttingDownGracefully && !Task.isCancelled {
            mqtt = self.server.mqttServer.boundListeners.first(where: { $0.name == "mqtt" })
            if mqtt == nil { try? await Task.sleep(for: .milliseconds(50)) }
        }
        guard let mqtt else { return }
        let http = self.server.configuration.httpPort.map { "http://\(mqtt.host):\($0)/" } ?? "(HTTP is off)"
        self.announcer.line(
            """

            TwinGuard demo is running: \(SimulatedDevice.fleet.count) simulated devices publish telemetry every second.
              HTTP API:  \(http)   (health: \(http)healthz; the web console arrives with a later release)
              MQTT:      mqtt://\(mqtt.host):\(mqtt.port)
              Log in:    user '\(self.username)', one-time password '\(self.password)' (valid until this demo stops)
              Watch it:  mosquitto_sub -h \(mqtt.host) -p \(mqtt.port) -u \(self.username) -P '\(self.password)' -t 'tg/#' -v
            Stop with Ctrl-C.
            """)
        try? await gracefulShutdown()
    }
}
