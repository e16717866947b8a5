/// A message as the broker stores it: retained, or queued for an offline session.
///
/// Properties are kept as the MQTT 5 property bytes the codec wrote, so that storage does not
/// need to understand them.
public struct StoredMessage: Sendable, Codable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: UInt8
    public var retain: Bool
    /// Encoded MQTT 5 properties (without the length prefix); empty when there are none.
    public var properties: [UInt8]
    /// When the message expires (ns since epoch), from the MQTT 5 message expiry interval.
    public var expiresAt: Int64?

    public init(topic: String, payload: [UInt8], qos: UInt8, retain: Bool, properties: [UInt8], expiresAt: Int64?) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
        self.expiresAt = expiresAt
    }
}

/// One subscription of a stored session, with its MQTT 5 options.
public struct StoredSubscription: Sendable, Codable, Equatable {
    public var filter: String
    public var qos: UInt8
    public var noLocal: Bool
    public var retainAsPublished: Bool
    public var retainHandling: UInt8
    public var subscriptionIdentifier: Int?

    public init(
        filter: String, qos: UInt8, noLocal: Bool, retainAsPublished: Bool, retainHandling: UInt8,
        subscriptionIdentifier: Int?
    ) {
        self.filter = filter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
        self.subscriptionIdentifier = subscriptionIdentifier
    }
}

/// An outgoing QoS 1/2 message that a session has sent or must send, with its delivery state.
public struct StoredOutgoing: Sendable, Codable, Equatable {
    /// Where the message is in the QoS handshake.
    public enum Phase: String, Sendable, Codable {
        /// Not yet sent (queued while offline or beyond the client's receive maximum).
        case queued
        /// PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
        case awaitingAck
        /// PUBREL sent, waiting for PUBCOMP (QoS 2).
        case awaitingComplete
    }

    public var packetID: UInt16?
    public var phase: Phase
    public var message: StoredMessage
    public var subscriptionIdentifiers: [Int]

    public init(packetID: UInt16?, phase: Phase, message: StoredMessage, subscriptionIdentifiers: [Int]) {
        self.packetID = packetID
        self.phase = phase
        self.message = message
        self.subscriptionIdentifiers = subscriptionIdentifiers
    }
}

/// Everything needed to resume a persistent MQTT session after a restart.
public struct StoredSession: Sendable, Codable, Equatable {
    public var tenant: TenantID
    public var clientID: String
    public var protocolVersion: UInt8
    /// Session expiry interval in seconds; `UInt32.max` means never.
    public var expiryInterval: UInt32
    /// When the client disconnected (ns since epoch); `nil` while connected.
    public var disconnectedAt: Int64?
    public var subscriptions: [StoredSubscription]
    public var outgoing: [StoredOutgoing]
    /// QoS 2 packet ids received from the client and not yet released (exactly-once across reconnects).
    public var incomingQoS2: [UInt16]
    /// The device twin that owns the session (certificate-authenticated devices); absent for others.
    public var ownerTwin: String?
    /// The principal that owns the session (``Principal/ownerKey``); absent in sessions saved before owners
    /// were recorded, which the next principal to resume them claims.
    public var owner: String?

    public init(
        tenant: TenantID, clientID: String, protocolVersion: UInt8, expiryInterval: UInt32, disconnectedAt: Int64?,
        subscriptions: [StoredSubscription], outgoing: [StoredOutgoing], incomingQoS2: [UInt16], ownerTwin: String? = nil,
        owner: String? = nil
    ) {
        self.ownerTwin = ownerTwin
        self.owner = owner
        self.tenant = tenant
        self.clientID = clientID
        self.protocolVersion = protocolVersion
        self.expiryInterval = expiryInterval
        self.disconnectedAt = disconnectedAt
        self.subscriptions = subscriptions
        self.outgoing = outgoing
        self.incomingQoS2 = incomingQoS2
    }
}

/// A retained message with the tenant it belongs to.
public struct StoredRetained: Sendable, Codable, Equatable {
    public var tenant: TenantID
    public var message: StoredMessage

    public init(tenant: TenantID, message: StoredMessage) {
        self.tenant = tenant
        self.message = message
    }
}

/// The key of a stored session.
public struct SessionKey: Hashable, Sendable, Codable {
    public var tenant: TenantID
    public var clientID: String

    public init(tenant: TenantID, clientID: String) {
        self.tenant = tenant
        self.clientID = clientID
    }
}

/// The key of a retained message.
public struct RetainedKey: Hashable, Sendable, Codable {
    public var tenant: TenantID
    public var topic: String

    public init(tenant: TenantID, topic: String) {
        self.tenant = tenant
        self.topic = topic
    }
}

/// What changed in the broker's durable state since the last flush.
public struct BrokerStateChanges: Sendable {
    public var upsertedSessions: [StoredSession] = []
    public var deletedSessions: [SessionKey] = []
    public var upsertedRetained: [StoredRetained] = []
    public var deletedRetained: [RetainedKey] = []

    public init() {}

    public var isEmpty: Bool {
        self.upsertedSessions.isEmpty && self.deletedSessions.isEmpty && self.upsertedRetained.isEmpty
            && self.deletedRetained.isEmpty
    }
}

/// The broker's durable state as loaded at start-up.
public struct BrokerSnapshot: Sendable {
    public var sessions: [StoredSession]
    public var retained: [StoredRetained]

    public init(sessions: [StoredSession], retained: [StoredRetained]) {
        self.sessions = sessions
        self.retained = retained
    }
}

/// Where the broker keeps retained messages and persistent sessions across restarts.
public protocol BrokerStateStore: Sendable {
    /// Reads everything stored, at start-up.
    func loadBrokerState() async throws -> BrokerSnapshot
    /// Applies one batch of changes atomically.
    func saveBrokerState(_ changes: BrokerStateChanges) async throws
}
