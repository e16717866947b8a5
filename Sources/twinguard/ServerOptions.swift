import ArgumentParser
import Foundation
import Logging
import TwinGuardServer

/// Flags shared by `serve` and `demo`. Each one overrides the config file and the environment.
struct ServerOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "A TOML config file.")
    var configFile: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (default ./twinguard-data).")
    var dataDir: String?

    @Option(name: .customLong("mqtt-port"), help: "MQTT over TCP port (default 1883; 0 picks a free port).")
    var mqttPort: String?

    @Option(name: .customLong("ws-port"), help: "MQTT over WebSocket port (default 9001).")
    var wsPort: String?

    @Option(name: .customLong("wss-port"), help: "MQTT over WebSocket over TLS port (default 9443).")
    var wssPort: String?

    @Option(name: .customLong("mqtts-port"), help: "MQTT over TLS port (default 8883): devices with certificates, users with passwords.")
    var mqttsPort: String?

    @Option(name: .customLong("http-port"), help: "HTTP API and console port (default 8080).")
    var httpPort: String?

    @Option(name: .customLong("https-port"), help: "HTTPS port (default 8443; active with the server certificate).")
    var httpsPort: String?

    @Option(name: .customLong("bind"), help: "Address to listen on (serve: 0.0.0.0, demo: 127.0.0.1).")
    var bind: String?

    @Flag(name: .customLong("allow-anonymous"), help: "Development mode: anonymous clients act as admin of tenant 'default'.")
    var allowAnonymous = false

    @Flag(name: .customLong("public-metrics"), help: "Serve /metrics without credentials (default: the metrics token or an admin).")
    var publicMetrics = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    /// The flags that were given, as configuration keys.
    var overrides: [(key: String, value: String)] {
        var overrides: [(key: String, value: String)] = []
        func add(_ key: String, _ value: String?) {
            if let value { overrides.append((key, value)) }
        }
        add("data_dir", self.dataDir)
        add("mqtt_port", self.mqttPort)
        add("ws_port", self.wsPort)
        add("mqtts_port", self.mqttsPort)
        add("wss_port", self.wssPort)
        add("http_port", self.httpPort)
        add("https_port", self.httpsPort)
        add("bind", self.bind)
        add("log_level", self.logLevel)
        if self.allowAnonymous { overrides.append(("allow_anonymous", "true")) }
        if self.publicMetrics { overrides.append(("metrics.public", "true")) }
        return overrides
    }

    /// Merges defaults, the config file, the environment and these flags; warnings are for the log.
    func configuration(defaults: ServerConfiguration) throws -> (ServerConfiguration, [String]) {
        try ConfigurationLoader.loadWithWarnings(
            defaults: defaults, file: self.configFile, environment: ProcessInfo.processInfo.environment,
            overrides: self.overrides)
    }
}
