import Synchronization

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
    /// Consumes several messages of one client (those of one socket read); `completion` gets one outcome
    /// per message, in order. The default handles each alone; an implementation may store them together.
    func handle(batch: [DeviceMessage], principal: Principal, completion: @escaping @Sendable ([DeviceMessageOutcome]) -> Void)
    /// A client connected (`online`) or its connection ended; a twin whose id is the client id is online
    /// while it is connected.
    func presenceChanged(tenant: TenantID, clientID: String, online: Bool)
}

/// One device message, for handling several at once.
public struct DeviceMessage: Sendable {
    public var topic: String
    public var payload: [UInt8]
    public var correlationData: [UInt8]?

    public init(topic: String, payload: [UInt8], correlationData: [UInt8]?) {
        self.topic = topic
        self.payload = payload
        self.correlationData = correlationData
    }
}

extension DeviceMessageHandler {
    /// Handles each message of a batch alone.
    public func handle(
        batch: [DeviceMessage], principal: Principal, completion: @escaping @Sendable ([DeviceMessageOutcome]) -> Void
    ) {
        let collector = OutcomeCollector(count: batch.count, completion: completion)
        for (index, message) in batch.enumerated() {
            self.handle(topic: message.topic, payload: message.payload, correlationData: message.correlationData, principal: principal) {
                collector.set(index, $0)
            }
        }
    }
}

/// Gathers the outcomes of messages handled apart and reports them together once all are known.
public final class OutcomeCollector: Sendable {
    private let state: Mutex<(outcomes: [DeviceMessageOutcome?], missing: Int)>
    private let completion: @Sendable ([DeviceMessageOutcome]) -> Void

    public init(count: Int, completion: @escaping @Sendable ([DeviceMessageOutcome]) -> Void) {
        self.state = Mutex((Array(repeating: nil, count: count), count))
        self.completion = completion
        if count == 0 { completion([]) }
    }

    public func set(_ index: Int, _ outcome: DeviceMessageOutcome) {
        let done = self.state.withLock { state -> [DeviceMessageOutcome]? in
            guard state.outcomes[index] == nil else { return nil }
            state.outcomes[index] = outcome
            state.missing -= 1
            return state.missing == 0 ? state.outcomes.map { $0! } : nil
        }
        if let done { self.completion(done) }
    }
}
