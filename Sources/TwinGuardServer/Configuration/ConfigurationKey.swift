import TwinGuardCore
import Foundation
import Logging
import MQTT

/// One setting that a TOML file, an environment variable or a flag can change.
struct ConfigurationKey: Sendable {
    /// The TOML key (`mqtt_port`, or `limits.max_connections` inside a table).
    let name: String
    /// What the value must look like, for error messages.
    let expected: String
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
    static func port(_ name: String, _ keyPath: any WritableKeyPath<ServerConfiguration, Int?> & Sendable) -> Self {
        Self(name: name, expected: "a port number 0-65535, or \"off\"") { config, value throws(ConfigurationError) in
            if case .string(let text) = value, text.lowercased() == "off" {
                config[keyPath: keyPath] = nil
                return
            }
            config[keyPath: keyPath] = try value.integer(for: name, in: 0...65_535)
        }
    }

    static func integer(
        _ name: String, _ keyPath: any WritableKeyPath<ServerConfiguration, Int> & Sendable, _ range: ClosedRange<Int>
    ) -> Self {
        Self(name: name, expected: "an integer in \(range.lowerBound)...\(range.upperBound)") {
            config, value throws(ConfigurationError) in
            config[keyPath: keyPath] = try value.integer(for: name, in: range)
        }
    }

    /// A number of seconds above 0 and below `maximum` (a day unless said otherwise); 0 too when `allowingZero`.
    static func seconds(
        _ name: String, _ keyPath: any WritableKeyPath<ServerConfiguration, Double> & Sendable, below maximum: Double = 86_400,
        allowingZero: Bool = false
    ) -> Self {
        let expected = "a number of seconds \(allowingZero ? "from 0" : "above 0") and below \(Int64(maximum))"
        return Self(name: name, expected: expected) { config, value throws(ConfigurationError) in
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

    /// Every key, as documented in the README.
    static let all: [ConfigurationKey] = [
        Self(name: "data_dir", expected: "a directory path") { config, value throws(ConfigurationError) in
            guard case .string(let path) = value, !path.isEmpty else {
                throw .invalidValue(key: "data_dir", value: value.text, expected: "a directory path")
            }
            config.dataDir = path
        },
        Self(name: "bind", expected: "an IP address or host name") { config, value throws(ConfigurationError) in
            guard case .string(let host) = value, !host.isEmpty else {
                throw .invalidValue(key: "bind", value: value.text, expected: "an IP address or host name")
            }
            config.bind = host
        },
        Self(name: "allow_anonymous", expected: "true or false") { config, value throws(ConfigurationError) in
            config.allowAnonymous = try value.bool(for: "allow_anonymous")
        },
        Self(name: "metrics.public", expected: "true or false") { config, value throws(ConfigurationError) in
            config.publicMetrics = try value.bool(for: "metrics.public")
        },
        Self(name: "webhooks.allow_private_addresses", expected: "true or false") { config, value throws(ConfigurationError) in
            config.webhooksAllowPrivateAddresses = try value.bool(for: "webhooks.allow_private_addresses")
        },
        Self(name: "security.allow_plaintext_passwords", expected: "true or false") { config, value throws(ConfigurationError) in
            config.allowPlaintextPasswords = try value.bool(for: "security.allow_plaintext_passwords")
        },
        Self(name: "log_level", expected: "trace, debug, info, notice, warning, error or critical") {
            config, value throws(ConfigurationError) in
            guard let level = Logger.Level(rawValue: value.text.lowercased()) else {
                throw .invalidValue(
                    key: "log_level", value: value.text, expected: "trace, debug, info, notice, warning, error or critical")
            }
            config.logLevel = level
        },
        .port("mqtt_port", \.mqttPort),
        .port("ws_port", \.wsPort),
        .port("mqtts_port", \.mqttsPort),
        .port("wss_port", \.wssPort),
        .port("http_port", \.httpPort),
        .port("https_port", \.httpsPort),
        .integer("event_loop_threads", \.eventLoopThreads, 0...256),
        .integer("limits.max_connections", \.limits.maxConnections, 1...10_000_000),
        .integer("limits.max_packet_size", \.limits.maxPacketSize, 64...268_435_460),
        .integer("limits.max_inflight", \.limits.maxInflight, 1...65_535),
        .integer("limits.max_queued_messages", \.limits.maxQueuedMessages, 0...10_000_000),
        .integer("limits.max_queued_bytes", \.limits.maxQueuedBytes, 65_536...(1 << 34)),
        .integer("limits.max_topic_length", \.limits.maxTopicLength, 1...65_535),
        .integer("limits.max_topic_levels", \.limits.maxTopicLevels, 1...1_000),
        .integer("limits.connect_timeout", \.limits.connectTimeoutSeconds, 1...3_600),
        .integer("limits.max_keepalive", \.limits.maxKeepAliveSeconds, 1...65_535),
        .integer("limits.topic_alias_maximum", \.limits.topicAliasMaximum, 0...65_535),
        .integer("limits.receive_maximum", \.limits.receiveMaximum, 1...65_535),
        .integer("limits.max_subscriptions_per_session", \.limits.maxSubscriptionsPerSession, 1...1_000_000),
        .integer("limits.max_subscriptions_per_principal", \.limits.maxSubscriptionsPerPrincipal, 1...100_000_000),
        Self(name: "limits.max_session_expiry", expected: "seconds from 0 to 4294967295") { config, value throws(ConfigurationError) in
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
        .seconds("broker.persist_interval", \.persistIntervalSeconds),
        .seconds("broker.sys_interval", \.sysIntervalSeconds),
        .seconds("telemetry.checkpoint_interval", \.checkpointIntervalSeconds),
        // Up to 100 years (within TimeBounds), 0 keeping telemetry for ever.
        .seconds("telemetry.retention", \.retentionSeconds, below: 100 * 366 * 86_400, allowingZero: true),
        .integer("telemetry.max_series_per_tenant", \.maximumSeriesPerTenant, 1...100_000_000),
        .integer("security.device_messages_per_second", \.deviceMessagesPerSecond, 1...1_000_000),
        .integer("security.device_bytes_per_second", \.deviceBytesPerSecond, 64...1_073_741_824),
        .integer("security.certificate_days", \.certificateDays, 1...825),
        .seconds("security.audit_checkpoint_interval", \.auditCheckpointSeconds),
        .integer("analytics.percent_of_a_core", \.analyticsPercentOfACore, 5...100),
        .integer("analytics.max_queued_values", \.analyticsMaximumQueuedValues, 1_000...100_000_000),
        Self(name: "telemetry.tiers", expected: "tiers such as \"1m:90d,1h\" (bucket:retention, retention optional)") {
            config, value throws(ConfigurationError) in
            guard case .string(let text) = value, let tiers = DownsampleTier.parseList(text) else {
                throw .invalidValue(key: "telemetry.tiers", value: value.text, expected: "tiers such as \"1m:90d,1h\"")
            }
            config.tiers = tiers
        },
    ]

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
