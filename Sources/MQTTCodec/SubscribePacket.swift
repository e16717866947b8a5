import NIOCore

/// How retained messages are sent when a subscription is made (§3.8.3.1, MQTT 5).
public enum RetainHandling: UInt8, Sendable, Codable {
    /// Send retained messages at the time of the subscribe.
    case sendOnSubscribe = 0
    /// Send them only if the subscription did not already exist.
    case sendIfNew = 1
    /// Never send them for this subscription.
    case doNotSend = 2
}

/// One topic filter of a SUBSCRIBE with its options.
public struct SubscriptionRequest: Sendable, Equatable {
    public var filter: String
    public var qos: QoS
    public var noLocal: Bool
    public var retainAsPublished: Bool
    public var retainHandling: RetainHandling

    public init(
        filter: String, qos: QoS, noLocal: Bool = false, retainAsPublished: Bool = false,
        retainHandling: RetainHandling = .sendOnSubscribe
    ) {
        self.filter = filter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}

/// SUBSCRIBE (§3.8).
public struct SubscribePacket: Sendable, Equatable {
    public var packetID: UInt16
    public var subscriptions: [SubscriptionRequest]
    public var properties: Properties

    public init(packetID: UInt16, subscriptions: [SubscriptionRequest], properties: Properties = Properties()) {
        self.packetID = packetID
        self.subscriptions = subscriptions
        self.properties = properties
    }

    static func read(
        from body: inout ByteBuffer, flags: UInt8, version: ProtocolVersion
    ) throws(MQTTDecodeError) -> SubscribePacket {
        guard flags == 0x02 else { throw .malformed("SUBSCRIBE fixed header flags must be 2") }
        let packetID = try body.readMQTTUInt16(field: "packet identifier")
        guard packetID != 0 else { throw .protocolError("SUBSCRIBE packet identifier must not be 0") }
        let properties = version.hasProperties ? try Properties.read(from: &body, context: .subscribe) : Properties()
        if properties.subscriptionIdentifiers.count > 1 {
            throw .protocolError("SUBSCRIBE carries more than one subscription identifier")
        }
        var subscriptions: [SubscriptionRequest] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString(field: "topic filter")
            let options = try body.readMQTTByte(field: "subscription options")
            guard let qos = QoS(rawValue: options & 0x03) else { throw .malformed("subscription with QoS 3") }
            if version.hasProperties {
                guard options & 0xC0 == 0 else { throw .malformed("subscription options reserved bits are set") }
                guard let handling = RetainHandling(rawValue: (options >> 4) & 0x03) else {
                    throw .protocolError("retain handling 3 is not allowed")
                }
                subscriptions.append(
                    SubscriptionRequest(
                        filter: filter, qos: qos, noLocal: options & 0x04 != 0, retainAsPublished: options & 0x08 != 0,
                        retainHandling: handling))
            } else {
                guard options & 0xFC == 0 else { throw .malformed("subscription options reserved bits are set") }
                subscriptions.append(SubscriptionRequest(filter: filter, qos: qos))
            }
        }
        guard !subscriptions.isEmpty else { throw .protocolError("SUBSCRIBE without any topic filter") }
        return SubscribePacket(packetID: packetID, subscriptions: subscriptions, properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        buffer.writeInteger(self.packetID)
        if version.hasProperties { self.properties.write(to: &buffer) }
        for subscription in self.subscriptions {
            buffer.writeMQTTString(subscription.filter)
            var options = subscription.qos.rawValue
            if version.hasProperties {
                if subscription.noLocal { options |= 0x04 }
                if subscription.retainAsPublished { options |= 0x08 }
                options |= subscription.retainHandling.rawValue << 4
            }
            buffer.writeInteger(options)
        }
    }
}

/// SUBACK and UNSUBACK (§3.9, §3.11): one reason code per requested filter.
public struct SubscribeAckPacket: Sendable, Equatable {
    public enum Kind: Sendable { case suback, unsuback }

    public var kind: Kind
    public var packetID: UInt16
    /// One per filter. A 3.1.1 UNSUBACK carries none on the wire.
    public var reasonCodes: [ReasonCode]
    public var properties: Properties

    public init(kind: Kind, packetID: UInt16, reasonCodes: [ReasonCode], properties: Properties = Properties()) {
        self.kind = kind
        self.packetID = packetID
        self.reasonCodes = reasonCodes
        self.properties = properties
    }

    static func read(
        from body: inout ByteBuffer, kind: Kind, flags: UInt8, version: ProtocolVersion
    ) throws(MQTTDecodeError) -> SubscribeAckPacket {
        guard flags == 0 else { throw .malformed("acknowledgement fixed header flags must be 0") }
        let packetID = try body.readMQTTUInt16(field: "packet identifier")
        let properties = version.hasProperties ? try Properties.read(from: &body, context: .ack) : Properties()
        var codes: [ReasonCode] = []
        while let code = body.readInteger(as: UInt8.self) { codes.append(ReasonCode(rawValue: code)) }
        return SubscribeAckPacket(kind: kind, packetID: packetID, reasonCodes: codes, properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        buffer.writeInteger(self.packetID)
        if version.hasProperties { self.properties.write(to: &buffer) }
        if self.kind == .unsuback && !version.hasProperties { return }
        for code in self.reasonCodes {
            // 3.1.1 SUBACK knows only granted QoS 0–2 and 0x80 failure (§3.9.3).
            let raw = version.hasProperties || !code.isFailure ? code.rawValue : 0x80
            buffer.writeInteger(raw)
        }
    }
}

/// UNSUBSCRIBE (§3.10).
public struct UnsubscribePacket: Sendable, Equatable {
    public var packetID: UInt16
    public var filters: [String]
    public var properties: Properties

    public init(packetID: UInt16, filters: [String], properties: Properties = Properties()) {
        self.packetID = packetID
        self.filters = filters
        self.properties = properties
    }

    static func read(
        from body: inout ByteBuffer, flags: UInt8, version: ProtocolVersion
    ) throws(MQTTDecodeError) -> UnsubscribePacket {
        guard flags == 0x02 else { throw .malformed("UNSUBSCRIBE fixed header flags must be 2") }
        let packetID = try body.readMQTTUInt16(field: "packet identifier")
        guard packetID != 0 else { throw .protocolError("UNSUBSCRIBE packet identifier must not be 0") }
        let properties = version.hasProperties ? try Properties.read(from: &body, context: .unsubscribe) : Properties()
        var filters: [String] = []
        while body.readableBytes > 0 { filters.append(try body.readMQTTString(field: "topic filter")) }
        guard !filters.isEmpty else { throw .protocolError("UNSUBSCRIBE without any topic filter") }
        return UnsubscribePacket(packetID: packetID, filters: filters, properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        buffer.writeInteger(self.packetID)
        if version.hasProperties { self.properties.write(to: &buffer) }
        for filter in self.filters { buffer.writeMQTTString(filter) }
    }
}
