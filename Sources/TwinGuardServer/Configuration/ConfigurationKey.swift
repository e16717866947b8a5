import TwinGuardCore
import Foundation
import Logging
import MQTT

/// One setting that a TOML file, an environment variable or a flag can change.
struct ConfigurationKey: Sendable {
    /// The TOML key (`mqtt_port`, or `limits.max_connections` inside a table).
    let name: String
    /// What it changes, for `twinguard config keys` and `docs/configuration.md`.
    let meaning: String
    /// What the value must look like, for error messages.
    let expected: String
    /// The key's value in a configuration, as the reference shows its default.
    let shows: @Sendable (ServerConfiguration) -> String
    let apply: @Sendable (inout ServerConfiguration, ConfigurationValue) throws(ConfigurationError) -> Void

    /// The environment variable that sets this key: `TWINGUARD_` and the key in capitals, dots as underscores.
    var environmentName: String {
        "TWINGUARD_" + self.name.uppercased().replacingOccurrences(of: ".", with: "_")
    }
}

/// A raw value before it is checked against its key.
enum ConfigurationValue: Sendable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)

    var text: String {
        switch self {
        case .string(let value): value
        case .integer(let value): "\(value)"
        case .double(let value): "\(value)"
        case .bool(let value): "\(value)"
        }
    }
}

extension ConfigurationKey {
    static func port(_ name: String, _ keyPath: any WritableKeyPath<ServerConfiguration, Int?> & Sendable, _ meaning: String) -> Self {
        Self(name: name, meaning: meaning, expected: "a port number 0-65535, or \"off\"", shows: { $0[keyPath: keyPath].map(String.init) ?? "off" }) { config, value throws(ConfigurationError) in
            if case .string(let text) = value, text.lowercased() == "off" {
                config[keyPath: keyPath] = nil
                return
            }
            config[keyPath: keyPath] = try value.integer(for: name, in: 0...65_535)
        }
    }

    static func integer(
        _ name: String, _ keyPath: any WritableKeyPath<ServerConfiguration, Int> & Sendable, _ range: ClosedRange<Int>, _ meaning: String
    ) -> Self {
        Self(name: name, meaning: meaning, expected: "an integer in \(range.lowerBound)...\(range.upperBound)", shows: { "\($0[keyPath: keyPath])" }) {
            config, value throws(ConfigurationError) in
            config[keyPath: keyPath] = try value.integer(for: name, in: range)
        }
    }

    /// A number of seconds above 0 and below `maximum` (a day unless said otherwise); 0 too when `allowingZero`.
    static func seconds(
        _ name: String, _ keyPath: any WritableKeyPath<ServerConfiguration, Double> & Sendable, below maximum: Double = 86_400,
        allowingZero: Bool = false, _ meaning: String
    ) -> Self {
        let expected = "a number of seconds \(allowingZero ? "from 0" : "above 0") and below \(Int64(maximum))"
        return Self(name: name, meaning: meaning, expected: expected, shows: { String(format: "%g", $0[keyPath: keyPath]) }) {
            config, value throws(ConfigurationError) in
            let seconds: Double? =
                switch value {
                case .double(let number): number
                case .integer(let number): Double(number)
                case .string(let text): Double(text)
                case .bool: nil
                }
            guard let seconds, seconds > 0 || (allowingZero && seconds == 0), seconds < maximum else {
                throw .invalidValue(key: name, value: value.text, expected: expected)
            }
            config[keyPath: keyPath] = seconds
        }
    }

    /// Every key (`docs/configuration.md` is made from it: ``referenceTable``).
    static let all: [ConfigurationKey] = [
        Self(name: "data_dir", meaning: "SQLite database, telemetry store (WAL, chunks), `pki/` (CA and server keys, 0600), `run/`", expected: "a directory path", shows: { $0.dataDir }) { config, value throws(ConfigurationError) in
            guard case .string(let path) = value, !path.isEmpty else {
                throw .invalidValue(key: "data_dir", value: value.text, expected: "a directory path")
            }
            config.dataDir = path
        },
        Self(name: "bind", meaning: "address of every listener (`demo`: `127.0.0.1`)", expected: "an IP address or host name", shows: { $0.bind }) { config, value throws(ConfigurationError) in
            guard case .string(let host) = value, !host.isEmpty else {
                throw .invalidValue(key: "bind", value: value.text, expected: "an IP address or host name")
            }
            config.bind = host
        },
        Self(name: "allow_anonymous", meaning: "development mode: clients without credentials act as an administrator of tenant `default`", expected: "true or false", shows: { "\($0.allowAnonymous)" }) { config, value throws(ConfigurationError) in
            config.allowAnonymous = try value.bool(for: "allow_anonymous")
        },
        Self(name: "metrics.public", meaning: "serve `/metrics` without credentials (otherwise the metrics token or an admin of tenant `default`)", expected: "true or false", shows: { "\($0.publicMetrics)" }) { config, value throws(ConfigurationError) in
            config.publicMetrics = try value.bool(for: "metrics.public")
        },
        Self(name: "webhooks.allow_private_addresses", meaning: "let webhooks reach loopback, link-local and private addresses", expected: "true or false", shows: { "\($0.webhooksAllowPrivateAddresses)" }) { config, value throws(ConfigurationError) in
            config.webhooksAllowPrivateAddresses = try value.bool(for: "webhooks.allow_private_addresses")
        },
        Self(name: "security.allow_plaintext_passwords", meaning: "accept passwords and tokens on the plaintext listeners from other machines (otherwise loopback only)", expected: "true or false", shows: { "\($0.allowPlaintextPasswords)" }) { config, value throws(ConfigurationError) in
            config.allowPlaintextPasswords = try value.bool(for: "security.allow_plaintext_passwords")
        },
        Self(name: "log_level", meaning: "`trace` … `critical`; logs go to standard error", expected: "trace, debug, info, notice, warning, error or critical", shows: { $0.logLevel.rawValue }) {
            config, value throws(ConfigurationError) in
            guard let level = Logger.Level(rawValue: value.text.lowercased()) else {
                throw .invalidValue(
                    key: "log_level", value: value.text, expected: "trace, debug, info, notice, warning, error or critical")
            }
            config.logLevel = level
        },
        .port("mqtt_port", \.mqttPort, "MQTT over TCP; `\"off\"` turns a listener off"),
        .port("ws_port", \.wsPort, "MQTT over WebSocket"),
        .port("mqtts_port", \.mqttsPort, "MQTT over TLS: devices with certificates, users with passwords or tokens"),
        .port("wss_port", \.wssPort, "MQTT over WebSocket over TLS"),
        .port("http_port", \.httpPort, "HTTP API"),
        .port("https_port", \.httpsPort, "HTTPS (with the server certificate)"),
        .integer("event_loop_threads", \.eventLoopThreads, 0...256, "network threads for MQTT and HTTP; `0` is automatic: one per core but one, at least one (see Benchmarks)"),
        .integer("limits.max_connections", \.limits.maxConnections, 1...10_000_000, "open client connections"),
        .integer("limits.max_packet_size", \.limits.maxPacketSize, 64...268_435_460, "largest packet from a client (advertised to MQTT 5 clients)"),
        .integer("limits.max_inflight", \.limits.maxInflight, 1...65_535, "unacknowledged QoS 1/2 messages per client (also capped by its receive maximum)"),
        .integer("limits.max_queued_messages", \.limits.maxQueuedMessages, 0...10_000_000, "QoS 1/2 messages queued per session; overflow is dropped, counted and logged"),
        .integer("limits.max_queued_bytes", \.limits.maxQueuedBytes, 65_536...(1 << 34), "bytes waiting for a slow client's socket before QoS 0 messages to it are dropped"),
        .integer("limits.max_topic_length", \.limits.maxTopicLength, 1...65_535, "bytes in a topic name or filter"),
        .integer("limits.max_topic_levels", \.limits.maxTopicLevels, 1...1_000, "levels in a topic name or filter"),
        .integer("limits.connect_timeout", \.limits.connectTimeoutSeconds, 1...3_600, "seconds a socket may stay silent before CONNECT"),
        .integer("limits.max_keepalive", \.limits.maxKeepAliveSeconds, 1...65_535, "largest keep-alive granted; MQTT 5 clients asking for more get it as server keep-alive"),
        .integer("limits.topic_alias_maximum", \.limits.topicAliasMaximum, 0...65_535, "topic aliases a client may set"),
        .integer("limits.receive_maximum", \.limits.receiveMaximum, 1...65_535, "QoS 2 messages a client may have unreleased"),
        .integer("limits.max_subscriptions_per_session", \.limits.maxSubscriptionsPerSession, 1...1_000_000, "topic filters one session may hold (more get SUBACK 0x97)"),
        .integer("limits.max_subscriptions_per_principal", \.limits.maxSubscriptionsPerPrincipal, 1...100_000_000, "topic filters one user or device may hold over all its sessions"),
        Self(name: "limits.max_session_expiry", meaning: "longest session expiry granted, seconds (30 days)", expected: "seconds from 0 to 4294967295", shows: { "\($0.limits.maxSessionExpirySeconds)" }) { config, value throws(ConfigurationError) in
            let seconds: Int? =
                switch value {
                case .integer(let number): number
                case .string(let text): Int(text)
                default: nil
                }
            guard let seconds, let bounded = UInt32(exactly: seconds) else {
                throw .invalidValue(key: "limits.max_session_expiry", value: value.text, expected: "seconds from 0 to 4294967295")
            }
            config.limits.maxSessionExpirySeconds = bounded
        },
        .seconds("broker.persist_interval", \.persistIntervalSeconds, "seconds between flushes of broker state"),
        .seconds("broker.sys_interval", \.sysIntervalSeconds, "seconds between `$SYS` updates"),
        .seconds("telemetry.checkpoint_interval", \.checkpointIntervalSeconds, "seconds between checkpoints of the WAL into chunk files (also downsampling and compaction)"),
        // Up to 100 years (within TimeBounds), 0 keeping telemetry for ever.
        .seconds("telemetry.retention", \.retentionSeconds, below: 100 * 366 * 86_400, allowingZero: true, "seconds raw telemetry is kept; `0` keeps it forever (tenants may override)"),
        .integer("telemetry.max_series_per_tenant", \.maximumSeriesPerTenant, 1...100_000_000, "series a tenant may have; points of new series beyond it are refused (InfluxDB's `max-series-per-database`)"),
        .integer("security.device_messages_per_second", \.deviceMessagesPerSecond, 1...1_000_000, "messages each device may publish per second (bursts of twice that)"),
        .integer("security.device_bytes_per_second", \.deviceBytesPerSecond, 64...1_073_741_824, "bytes (payload and topic) each device may publish per second"),
        .integer("security.certificate_days", \.certificateDays, 1...825, "validity of device certificates"),
        .seconds("security.audit_checkpoint_interval", \.auditCheckpointSeconds, "seconds between signed checkpoints of the audit chain"),
        .integer("analytics.percent_of_a_core", \.analyticsPercentOfACore, 5...100, "CPU live analytics (anomaly detection, alert rules, RUL) may use; beyond it their work is shed"),
        .integer("analytics.max_queued_values", \.analyticsMaximumQueuedValues, 1_000...100_000_000, "telemetry values waiting for analytics before further ones are shed"),
        Self(name: "telemetry.tiers", meaning: "downsampling tiers, e.g. `\"1m:90d,1h\"` (bucket, then an optional retention)", expected: "tiers such as \"1m:90d,1h\" (bucket:retention, retention optional)", shows: { $0.tiers.isEmpty ? "none" : "\($0.tiers.count) tiers" }) {
            config, value throws(ConfigurationError) in
            guard case .string(let text) = value, let tiers = DownsampleTier.parseList(text) else {
                throw .invalidValue(key: "telemetry.tiers", value: value.text, expected: "tiers such as \"1m:90d,1h\"")
            }
            config.tiers = tiers
        },
    ]

    /// The reference of every key as a Markdown table: key, environment variable, default, meaning.
    static var referenceTable: String {
        let defaults = ServerConfiguration()
        // Top-level keys first, then each table's, alphabetically.
        let rows = Self.all.sorted { $0.name.contains(".") == $1.name.contains(".") ? $0.name < $1.name : !$0.name.contains(".") }.map { key in
            "| `\(key.name)` | `\(key.environmentName)` | `\(key.shows(defaults))` | \(key.meaning) |"
        }
        return (["| key | environment | default | meaning |", "|---|---|---|---|"] + rows).joined(separator: "\n") + "\n"
    }

    static func named(_ name: String) -> ConfigurationKey? {
        Self.all.first { $0.name == name }
    }
}

extension ConfigurationValue {
    func integer(for key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let number: Int? =
            switch self {
            case .integer(let value): value
            case .string(let text): Int(text)
            case .double, .bool: nil
            }
        guard let number, range.contains(number) else {
            throw .invalidValue(key: key, value: self.text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func bool(for key: String) throws(ConfigurationError) -> Bool {
        switch self {
        case .bool(let value): return value
        case .string(let text) where ["true", "1", "yes", "on"].contains(text.lowercased()): return true
        case .string(let text) where ["false", "0", "no", "off"].contains(text.lowercased()): return false
        default: throw .invalidValue(key: key, value: self.text, expected: "true or false")
        }
    }
}

/// The configuration reference, for `twinguard config keys` and `docs/configuration.md`.
public enum ConfigurationReference {
    /// Every key as a Markdown table: key, environment variable, default, meaning.
    public static var markdownTable: String { ConfigurationKey.referenceTable }
}
