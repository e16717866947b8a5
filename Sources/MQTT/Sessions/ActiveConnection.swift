import MQTTCodec

/// What a session knows about the connection currently attached to it: where to write and what the
/// client negotiated in its CONNECT.
struct ActiveConnection: Sendable {
    let writer: ConnectionWriter
    var version: ProtocolVersion { self.writer.version }
    /// QoS 1/2 messages that may be unacknowledged at once: the client's Receive Maximum capped by ours.
    let window: Int
    /// The client's Maximum Packet Size (MQTT 5), or unlimited.
    let maximumPacketSize: Int
    /// How many topic aliases the client accepts from us (MQTT 5).
    let topicAliasMaximum: UInt16
    /// Topic aliases assigned towards this client; they live as long as the connection (§3.3.2.3.4).
    var aliases: [String: UInt16] = [:]

    init(writer: ConnectionWriter, window: Int, maximumPacketSize: Int, topicAliasMaximum: UInt16) {
        self.writer = writer
        self.window = window
        self.maximumPacketSize = maximumPacketSize
        self.topicAliasMaximum = topicAliasMaximum
    }
}

/// A will message waiting for its connection to end (§3.1.2.5).
struct PendingWill: Sendable {
    var message: BrokerMessage
    var delaySeconds: UInt32
}
