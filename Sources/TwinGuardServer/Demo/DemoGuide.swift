import MQTT
import ServiceLifecycle

/// Prints, once the listeners are up, where the console is, how to log in, and what will happen.
public struct DemoGuide: Service {
    let announcer: ListenerAnnouncer
    let server: TwinGuardServer
    /// The MQTT/HTTP credential made for this run (operator role, never stored).
    let username: String
    let password: String
    /// The console's administrator and their password, set at this start.
    let consoleUser: String
    let consolePassword: String
    let speed: Double

    public init(
        announcer: ListenerAnnouncer, server: TwinGuardServer, username: String, password: String, consoleUser: String, consolePassword: String,
        speed: Double
    ) {
        self.announcer = announcer
        self.server = server
        self.username = username
        self.password = password
        self.consoleUser = consoleUser
        self.consolePassword = consolePassword
        self.speed = speed
    }

    /// "m:ss" of real time for `seconds` of simulated time.
    func at(_ seconds: Double) -> String {
        let real = Int((seconds / self.speed).rounded())
        return "\(real / 60):" + (real % 60 < 10 ? "0" : "") + "\(real % 60)"
    }

    public func run() async throws {
        guard let mqtt = self.server.mqttListener else {
            try? await gracefulShutdown()
            return
        }
        var http = "(HTTP is off)"
        if self.server.configuration.httpPort != nil, let port = await self.server.httpPort.wait() {
            http = "http://\(TwinGuardServer.loopback(mqtt.host)):\(port)/"
        }
        let bearing = DemoFleetCatalog.devices.first { if case .bearingWear = $0.incident { true } else { false } }
        var bearingAt = 0.0
        if case .bearingWear(let life) = bearing?.incident {
            bearingAt = life - DemoModels.bearingMaintenanceBelow  // when the true RUL crosses the threshold
        }
        self.announcer.line(
            """

            TwinGuard demo is running: \(DemoFleetCatalog.devices.count) simulated devices on 3 sites (a factory, a ship's engine room, a city district).
              Console:   \(http)
              Log in:    user '\(self.consoleUser)', password '\(self.consolePassword)' (new at each start);
                         the first login asks you to enrol an authenticator app (TOTP, scan the QR code)
              MQTT:      mqtt://\(mqtt.host):\(mqtt.port)  (devices use mqtts with their own certificates)
              Watch it:  mosquitto_sub -h \(mqtt.host) -p \(mqtt.port) -u \(self.username) -P '\(self.password)' -t 'tg/#' -v
              Twins:     curl -u '\(self.username):\(self.password)' \(http)api/v1/twins/cnc-01
              Live:      curl -N -u '\(self.username):\(self.password)' \(http)api/v1/twins/cnc-01/stream
              InfluxQL:  curl -u '\(self.username):\(self.password)' '\(http)query?db=default' --data-urlencode \\
                           "q=SELECT mean(temperature_c) FROM telemetry WHERE twin = 'cnc-01' AND time > now() - 10m GROUP BY time(1m)"
              ('\(self.username)' is an operator login made for this run only; OpenAPI: \(http)openapi.json)
            Scripted incidents (the platform has to find each one; --speed N brings them sooner):
              \(self.at(45))  pump-02 reboots into firmware 2.1.0, below the posture policy's 2.4.0
              \(self.at(DemoFleetCatalog.rogueAt))  a rogue device enrolls with \(DemoFleetCatalog.stolenTokenTwin)'s stolen token and probes other devices' topics
              \(self.at(90))  air-quality-02's NO2 sensor starts to drift
              \(self.at(120))  traffic-02 floods the broker with messages
              \(self.at(150))  engine-starboard's lube-oil pressure sensor gets stuck
              \(self.at(bearingAt))  cnc-02's spindle bearing, wearing since the start, nears the end of its life
            Stop with Ctrl-C.
            """)
        try? await gracefulShutdown()
    }
}
