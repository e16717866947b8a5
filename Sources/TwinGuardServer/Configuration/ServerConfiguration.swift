import TwinGuardCore
import Logging
import MQTT
import NIOCore

/// Every setting of a TwinGuard server. Defaults work on one machine; a TOML file, `TWINGUARD_*`
/// environment variables and command-line flags override them, in that order (see ``ConfigurationLoader``).
public struct ServerConfiguration: Sendable {
    /// Where the database, WAL, chunks and keys live.
    public var dataDir = "./twinguard-data"
    /// The address every listener binds to.
    public var bind = "0.0.0.0"
    /// Development and test mode: anonymous clients act as operator of tenant `default`.
    public var allowAnonymous = false
    public var logLevel = Logger.Level.info
    /// Whether `/metrics` answers without credentials (`metrics.public`); otherwise it needs the metrics token
    /// (`DATA/metrics.token`) or an administrator of tenant `default`.
    public var publicMetrics = false
    /// Whether webhooks may reach loopback, link-local and private addresses (`webhooks.allow_private_addresses`).
    public var webhooksAllowPrivateAddresses = false
    /// Whether passwords and tokens may come over plaintext listeners from other machines
    /// (`security.allow_plaintext_passwords`); by default only from loopback.
    public var allowPlaintextPasswords = false

    /// Plain MQTT over TCP; `nil` turns the listener off.
    public var mqttPort: Int? = 1883
    /// MQTT over WebSocket; `nil` turns the listener off.
    public var wsPort: Int? = 9001
    /// MQTT over TLS: devices with their certificate (mutual TLS), users with a password or token.
    public var mqttsPort: Int? = 8883
    /// MQTT over WebSocket over TLS (browsers and dashboards off this machine).
    public var wssPort: Int? = 9443
    /// The HTTP API and console.
    public var httpPort: Int? = 8080
    /// HTTPS (active once the server certificate exists).
    public var httpsPort: Int? = 8443

    /// Event-loop threads for all network I/O; 0 means automatic: one per core but one, at least one.
    ///
    /// The core left over serves storage, the HTTP API's async work and the operating system. Measured on
    /// a 2-core machine (docs/benchmarks.md): one loop kept MQTT latency level with Mosquitto, two loops
    /// added a thread wake-up to every message that crosses loops.
    public var eventLoopThreads = 0

    /// The number of event-loop threads to start.
    public var resolvedEventLoopThreads: Int {
        self.eventLoopThreads > 0 ? self.eventLoopThreads : max(1, System.coreCount - 1)
    }

    /// Broker limits.
    public var limits = BrokerLimits()
    /// Seconds between flushes of broker state (retained messages, sessions) to the store.
    public var persistIntervalSeconds = 1.0
    /// Seconds between `$SYS` statistics updates.
    public var sysIntervalSeconds = 10.0

    /// Seconds between checkpoints of the telemetry WAL into chunk files.
    public var checkpointIntervalSeconds = 60.0
    /// Seconds raw telemetry is kept; 0 keeps it forever.
    public var retentionSeconds = 0.0
    /// Series per tenant before new ones are refused.
    public var maximumSeriesPerTenant = 1_000_000
    /// Messages each device may publish per second (bursts of twice that).
    public var deviceMessagesPerSecond = 200
    /// Bytes (payload and topic) each device may publish per second.
    public var deviceBytesPerSecond = 1_048_576
    /// How long device certificates are valid.
    public var certificateDays = 30
    /// How often the audit chain's head is signed (and once more at shutdown).
    public var auditCheckpointSeconds = 300.0
    /// The share of one core live analytics may use; beyond it their work is shed, never ingest.
    public var analyticsPercentOfACore = 50
    /// Telemetry values waiting for analytics before further ones are shed.
    public var analyticsMaximumQueuedValues = 1_000_000
    /// Downsampling tiers (`telemetry.tiers = "1m:90d,1h"`): none by default.
    public var tiers: [DownsampleTier] = []

    public init() {}

    /// Where the SQLite database lives.
    public var databasePath: String { self.dataDir + "/twinguard.sqlite" }
    /// Where the telemetry store lives (WAL, chunks, catalog).
    public var telemetryPath: String { self.dataDir + "/telemetry" }
    /// The device CA and the server's TLS key.
    public var pkiPath: String { self.dataDir + "/pki" }
}
