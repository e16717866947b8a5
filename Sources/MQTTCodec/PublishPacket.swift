import NIOCore

/// PUBLISH (§3.3): an application message in either direction.
public struct PublishPacket: Sendable, Equatable {
    /// The topic name; empty when an MQTT 5 topic alias stands for it.
    public var topic: String
    public var payload: ByteBuffer
    public var qos: QoS
    public var retain: Bool
    public var dup: Bool
    /// Present exactly when `qos` is 1 or 2.
    public var packetID: UInt16?
    public var properties: Properties

    public init(
        topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false, dup: Bool = false,
        packetID: UInt16? = nil, properties: Properties = Properties()
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetID = packetID
        self.properties = properties
    }

    static func read(
        from body: inout ByteBuffer, flags: UInt8, version: ProtocolVersion
    ) throws(MQTTDecodeError) -> PublishPacket {
        guard let qos = QoS(rawValue: (flags >> 1) & 0x03) else { throw .malformed("PUBLISH with QoS 3") }
        let dup = flags & 0x08 != 0
        if qos == .atMostOnce && dup { throw .malformed("PUBLISH with QoS 0 must not set DUP") }
        let topic = try body.readMQTTString(field: "topic name")
        var packetID: UInt16?
        if qos != .atMostOnce {
            let id = try body.readMQTTUInt16(field: "packet identifier")
            guard id != 0 else { throw .protocolError("PUBLISH packet identifier must not be 0") }
            packetID = id
        }
        let properties = version.hasProperties ? try Properties.read(from: &body, context: .publish) : Properties()
        if topic.isEmpty && properties.topicAlias == nil {
            throw .protocolError("PUBLISH has an empty topic and no topic alias")
        }
        if !topic.isEmpty && !TopicRules.isValidTopicName(topic) {
            throw MQTTDecodeError(reasonCode: .topicNameInvalid, message: "topic '\(topic)' is not a valid topic name")
        }
        let payload = body.readSlice(length: body.readableBytes) ?? ByteBuffer()
        return PublishPacket(
            topic: topic, payload: payload, qos: qos, retain: flags & 0x01 != 0, dup: dup, packetID: packetID,
            properties: properties)
    }

    var fixedHeaderFlags: UInt8 {
        var flags = self.qos.rawValue << 1
        if self.dup { flags |= 0x08 }
        if self.retain { flags |= 0x01 }
        return flags
    }

    /// The body length, computed without encoding the payload (the hot path).
    func bodyLength(version: ProtocolVersion) -> Int {
        var length = 2 + self.topic.utf8.count + self.payload.readableBytes
        if self.qos != .atMostOnce { length += 2 }
        if version.hasProperties { length += self.properties.encodedLengthWithPrefix }
        return length
    }

    func writeBody(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        buffer.writeMQTTString(self.topic)
        if self.qos != .atMostOnce { buffer.writeInteger(self.packetID ?? 0) }
        if version.hasProperties { self.properties.write(to: &buffer) }
        var payload = self.payload
        buffer.writeBuffer(&payload)
    }
}

/// The four QoS acknowledgements: PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4–§3.7).
public struct PublishAckPacket: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case puback = 4
        case pubrec = 5
        case pubrel = 6
        case pubcomp = 7
    }

    public var kind: Kind
    public var packetID: UInt16
    public var reasonCode: ReasonCode
    public var properties: Properties

    public init(kind: Kind, packetID: UInt16, reasonCode: ReasonCode = .success, properties: Properties = Properties()) {
        self.kind = kind
        self.packetID = packetID
        self.reasonCode = reasonCode
        self.properties = properties
    }

    static func read(
        from body: inout ByteBuffer, kind: Kind, flags: UInt8, version: ProtocolVersion
    ) throws(MQTTDecodeError) -> PublishAckPacket {
        let expectedFlags: UInt8 = kind == .pubrel ? 0x02 : 0x00
        guard flags == expectedFlags else { throw .malformed("\(kind) fixed header flags must be \(expectedFlags)") }
        let packetID = try body.readMQTTUInt16(field: "packet identifier")
        guard packetID != 0 else { throw .protocolError("\(kind) packet identifier must not be 0") }
        var reason = ReasonCode.success
        var properties = Properties()
        if version.hasProperties && body.readableBytes > 0 {
            reason = ReasonCode(rawValue: try body.readMQTTByte(field: "reason code"))
            if body.readableBytes > 0 { properties = try Properties.read(from: &body, context: .ack) }
        }
        guard body.readableBytes == 0 else { throw .malformed("\(kind) has trailing bytes") }
        return PublishAckPacket(kind: kind, packetID: packetID, reasonCode: reason, properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        buffer.writeInteger(self.packetID)
        guard version.hasProperties else { return }
        // §3.4.2.1: reason code and properties may be omitted when success without properties.
        if self.reasonCode == .success && self.properties.isEmpty { return }
        buffer.writeInteger(self.reasonCode.rawValue)
        if !self.properties.isEmpty { self.properties.write(to: &buffer) }
    }
}
