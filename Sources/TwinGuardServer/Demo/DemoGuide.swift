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
        var http = "(HTTP is off)"
        if self.server.configuration.httpPort != nil, let port = await self.server.httpPort.wait() {
            http = "http://\(mqtt.host):\(port)/"
        }
        self.announcer.line(
            """

            TwinGuard demo is running: \(SimulatedDevice.fleet.count) simulated devices publish telemetry every second.
              HTTP API:  \(http)   (OpenAPI: \(http)openapi.json; the web console arrives with a later release)
              MQTT:      mqtt://\(mqtt.host):\(mqtt.port)
              Log in:    user '\(self.username)', one-time password '\(self.password)' (valid until this demo stops)
              Watch it:  mosquitto_sub -h \(mqtt.host) -p \(mqtt.port) -u \(self.username) -P '\(self.password)' -t 'tg/#' -v
              Twins:     curl -u '\(self.username):\(self.password)' \(http)api/v1/twins/cnc-01
              Live:      curl -N -u '\(self.username):\(self.password)' \(http)api/v1/twins/cnc-01/stream
              InfluxQL:  curl -u '\(self.username):\(self.password)' '\(http)query?db=default' --data-urlencode \
                           "q=SELECT mean(temperature_c) FROM telemetry WHERE twin = 'cnc-01' AND time > now() - 10m GROUP BY time(1m)"
            Stop with Ctrl-C.
            """)
        try? await gracefulShutdown()
    }
}
