/// The MQTT protocol level a client speaks; decided by its CONNECT packet.
public enum ProtocolVersion: UInt8, Sendable, Codable, Comparable {
    /// MQTT 3.1 (protocol name `MQIsdp`), accepted for old clients and handled as 3.1.1.
    case v3_1 = 3
    /// MQTT 3.1.1 (OASIS standard 2014).
    case v3_1_1 = 4
    /// MQTT 5.0 (OASIS standard 2019).
    case v5 = 5

    /// Whether MQTT 5 features (properties, reason codes) apply.
    @inlinable public var hasProperties: Bool { self == .v5 }

    public static func < (lhs: ProtocolVersion, rhs: ProtocolVersion) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Quality of service of a message or subscription (MQTT §4.3).
public enum QoS: UInt8, Sendable, Codable, Comparable, CaseIterable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }
}
