import NIOCore

/// The broker's limits; every one is configurable and has a default that suits a single machine.
public struct BrokerLimits: Sendable, Equatable {
    /// Open client connections at once, over all listeners.
    public var maxConnections = 100_000
    /// Largest packet accepted from a client, fixed header included (advertised as Maximum Packet Size).
    public var maxPacketSize = 1_048_576
    /// QoS 1/2 messages sent to one client and not yet acknowledged.
    public var maxInflight = 100
    /// QoS 1/2 messages queued per session beyond the inflight window (offline or slow clients).
    public var maxQueuedMessages = 1_000
    /// Bytes buffered for one connection before QoS 0 messages to it are dropped.
    public var maxQueuedBytes = 16 * 1_048_576
    /// Longest topic name or filter, in bytes.
    public var maxTopicLength = 1_024
    /// Most levels in a topic name or filter.
    public var maxTopicLevels = 32
    /// Seconds a new socket may stay silent before its CONNECT.
    public var connectTimeoutSeconds = 10
    /// Largest keep-alive granted; a larger (or zero) request gets this as Server Keep Alive (MQTT 5).
    public var maxKeepAliveSeconds = 65_535
    /// Topic aliases a client may use towards the broker (MQTT 5).
    public var topicAliasMaximum = 64
    /// QoS 2 messages a client may have unreleased at once (advertised as Receive Maximum).
    public var receiveMaximum = 1_000
    /// Largest session expiry interval granted, seconds (30 days): a client that never returns does not keep
    /// its session and queue for ever.
    public var maxSessionExpirySeconds: UInt32 = 30 * 86_400
    /// Topic filters one session may subscribe to; more are refused with reason 0x97 (quota exceeded).
    public var maxSubscriptionsPerSession = 1_000
    /// Topic filters one principal (a user, a device) may hold over all its sessions.
    public var maxSubscriptionsPerPrincipal = 10_000

    public init() {}
}
