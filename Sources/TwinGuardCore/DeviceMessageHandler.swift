/// Why the platform refused a device's message; the broker turns it into an MQTT 5 reason code.
public enum DeviceMessageRefusal: Sendable, Equatable {
    /// 0x87 Not authorized.
    case notAuthorized
    /// 0x99 Payload format invalid (bad JSON or line protocol, unknown field, wrong type).
    case payloadFormatInvalid
    /// 0x97 Quota exceeded.
    case quotaExceeded
    /// 0x83 Implementation specific error (storage unavailable).
    case unavailable
}

/// The outcome of a device message the platform consumed.
public enum DeviceMessageOutcome: Sendable, Equatable {
    /// Stored durably; the broker may acknowledge.
    case accepted
    case refused(DeviceMessageRefusal, reason: String)
}

/// What the platform does with a device's PUBLISH beyond routing it: telemetry ingest, reported state.
///
/// The broker still routes the message to subscribers; for QoS 1 and 2 it holds the PUBACK/PUBREC until
/// `completion` runs, so an acknowledgement means the message is stored.
public protocol DeviceMessageHandler: Sendable {
    /// Whether the platform consumes messages on `topic` (called for every PUBLISH: must be cheap).
    func handles(topic: String) -> Bool
    /// Consumes one message (`correlationData` is MQTT 5's, for command responses). `completion` may run
    /// on any thread, at once or later.
    func handle(
        topic: String, payload: [UInt8], correlationData: [UInt8]?, principal: Principal,
        completion: @escaping @Sendable (DeviceMessageOutcome) -> Void)
    /// A client connected (`online`) or its connection ended; a twin whose id is the client id is online
    /// while it is connected.
    func presenceChanged(tenant: TenantID, clientID: String, online: Bool)
}
