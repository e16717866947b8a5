import MQTTCodec
import NIOCore
import TwinGuardCore

/// An application message inside the broker: what was published, independent of any receiver.
///
/// Immutable and shared: a message delivered to many sessions, queued or retained, is one object.
final class BrokerMessage: Sendable {
    let topic: String
    let payload: ByteBuffer
    let qos: QoS
    let retain: Bool
    /// The publisher's properties that travel with the message (no topic alias, no subscription ids).
    let properties: Properties
    /// Expiry time in ns since epoch, from the Message Expiry Interval.
    let expiresAt: Int64?
    /// The publishing session, for No Local.
    let publisher: ObjectIdentifier?

    init(
        topic: String, payload: ByteBuffer, qos: QoS, retain: Bool, properties: Properties, expiresAt: Int64?,
        publisher: ObjectIdentifier?
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
        self.expiresAt = expiresAt
        self.publisher = publisher
    }

    /// Builds the message of a client's PUBLISH (topic already resolved from any alias).
    convenience init(publish: PublishPacket, topic: String, publisher: ObjectIdentifier?, now: Int64) {
        var properties = publish.properties
        properties.topicAlias = nil
        properties.subscriptionIdentifiers = []
        properties.willDelayInterval = nil
        let expiry = properties.messageExpiryInterval.map { now + Int64($0) * 1_000_000_000 }
        // The payload is a slice of the socket's read buffer; a message that is retained or queued would
        // keep that whole buffer alive, so a small payload in a large buffer gets its own copy.
        var payload = publish.payload
        if payload.storageCapacity - payload.readableBytes > 1_024 {
            payload = ByteBuffer(bytes: payload.readableBytesView)
        }
        self.init(
            topic: topic, payload: payload, qos: publish.qos, retain: publish.retain, properties: properties,
            expiresAt: expiry, publisher: publisher)
    }

    func isExpired(now: Int64) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt <= now
    }

    /// The Message Expiry Interval to forward: the time left, rounded up (MQTT 5 §3.3.2.3.3).
    func remainingExpirySeconds(now: Int64) -> UInt32? {
        guard let expiresAt else { return nil }
        let left = max(0, expiresAt - now)
        return UInt32(clamping: (left + 999_999_999) / 1_000_000_000)
    }

    var stored: StoredMessage {
        StoredMessage(
            topic: self.topic, payload: Array(self.payload.readableBytesView), qos: self.qos.rawValue,
            retain: self.retain, properties: self.properties.storageBytes(), expiresAt: self.expiresAt)
    }

    /// Reads back a stored message; `retain` overrides the stored flag where the caller knows better.
    convenience init?(stored: StoredMessage, retain: Bool? = nil) {
        guard let qos = QoS(rawValue: stored.qos), let properties = try? Properties.fromStorage(stored.properties) else {
            return nil
        }
        self.init(
            topic: stored.topic, payload: ByteBuffer(bytes: stored.payload), qos: qos, retain: retain ?? stored.retain,
            properties: properties, expiresAt: stored.expiresAt, publisher: nil)
    }
}
