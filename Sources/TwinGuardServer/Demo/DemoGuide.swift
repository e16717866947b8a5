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
        guard let mqtt = self.server.mqttListener else {
            try? await gracefulShutdown()
            return
        }
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
