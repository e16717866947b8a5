import NIOCore

/// The MQTT 5 properties of a packet (§2.2.2). Every field is optional; absent means "not sent".
///
/// MQTT 3.1.1 packets have no properties: their `Properties` is always empty.
public struct Properties: Sendable, Equatable {
    public var payloadFormatIndicator: UInt8?
    public var messageExpiryInterval: UInt32?
    public var contentType: String?
    public var responseTopic: String?
    public var correlationData: [UInt8]?
    /// Subscription identifiers: one on SUBSCRIBE, one per matching subscription on an outgoing PUBLISH.
    public var subscriptionIdentifiers: [Int] = []
    public var sessionExpiryInterval: UInt32?
    public var assignedClientIdentifier: String?
    public var serverKeepAlive: UInt16?
    public var authenticationMethod: String?
    public var authenticationData: [UInt8]?
    public var requestProblemInformation: UInt8?
    public var willDelayInterval: UInt32?
    public var requestResponseInformation: UInt8?
    public var responseInformation: String?
    public var serverReference: String?
    public var reasonString: String?
    public var receiveMaximum: UInt16?
    public var topicAliasMaximum: UInt16?
    public var topicAlias: UInt16?
    public var maximumQoS: UInt8?
    public var retainAvailable: UInt8?
    public var userProperties: [UserProperty] = []
    public var maximumPacketSize: UInt32?
    public var wildcardSubscriptionAvailable: UInt8?
    public var subscriptionIdentifiersAvailable: UInt8?
    public var sharedSubscriptionAvailable: UInt8?

    public init() {}

    /// Whether no property is set (checked field by field: this runs for every message).
    public var isEmpty: Bool {
        self.payloadFormatIndicator == nil && self.messageExpiryInterval == nil && self.contentType == nil
            && self.responseTopic == nil && self.correlationData == nil && self.subscriptionIdentifiers.isEmpty
            && self.topicAlias == nil && self.userProperties.isEmpty && self.sessionExpiryInterval == nil
            && self.assignedClientIdentifier == nil && self.serverKeepAlive == nil && self.authenticationMethod == nil
            && self.authenticationData == nil && self.requestProblemInformation == nil && self.willDelayInterval == nil
            && self.requestResponseInformation == nil && self.responseInformation == nil
            && self.serverReference == nil && self.reasonString == nil && self.receiveMaximum == nil
            && self.topicAliasMaximum == nil && self.maximumQoS == nil && self.retainAvailable == nil
            && self.maximumPacketSize == nil && self.wildcardSubscriptionAvailable == nil
            && self.subscriptionIdentifiersAvailable == nil && self.sharedSubscriptionAvailable == nil
    }
}

/// A name/value pair an application attaches to a packet (§3.3.2.3.7); order and duplicates are kept.
public struct UserProperty: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The property identifiers of MQTT 5 (§2.2.2.2) and the packets each may appear in.
package enum PropertyID: UInt8 {
    case payloadFormatIndicator = 0x01
    case messageExpiryInterval = 0x02
    case contentType = 0x03
    case responseTopic = 0x08
    case correlationData = 0x09
    case subscriptionIdentifier = 0x0B
    case sessionExpiryInterval = 0x11
    case assignedClientIdentifier = 0x12
    case serverKeepAlive = 0x13
    case authenticationMethod = 0x15
    case authenticationData = 0x16
    case requestProblemInformation = 0x17
    case willDelayInterval = 0x18
    case requestResponseInformation = 0x19
    case responseInformation = 0x1A
    case serverReference = 0x1C
    case reasonString = 0x1F
    case receiveMaximum = 0x21
    case topicAliasMaximum = 0x22
    case topicAlias = 0x23
    case maximumQoS = 0x24
    case retainAvailable = 0x25
    case userProperty = 0x26
    case maximumPacketSize = 0x27
    case wildcardSubscriptionAvailable = 0x28
    case subscriptionIdentifiersAvailable = 0x29
    case sharedSubscriptionAvailable = 0x2A
}

/// Which properties a packet type allows (§2.2.2.2 table).
package struct PropertyContext: Sendable {
    package let name: String
    package let allowed: Set<UInt8>

    private init(_ name: String, _ ids: [PropertyID]) {
        self.name = name
        self.allowed = Set(ids.map(\.rawValue) + [PropertyID.userProperty.rawValue])
    }

    package static let connect = PropertyContext(
        "CONNECT",
        [
            .sessionExpiryInterval, .authenticationMethod, .authenticationData, .requestProblemInformation,
            .requestResponseInformation, .receiveMaximum, .topicAliasMaximum, .maximumPacketSize,
        ])
    package static let will = PropertyContext(
        "will",
        [
            .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData,
            .willDelayInterval,
        ])
    package static let connAck = PropertyContext(
        "CONNACK",
        [
            .sessionExpiryInterval, .assignedClientIdentifier, .serverKeepAlive, .authenticationMethod,
            .authenticationData, .responseInformation, .serverReference, .reasonString, .receiveMaximum,
            .topicAliasMaximum, .maximumQoS, .retainAvailable, .maximumPacketSize, .wildcardSubscriptionAvailable,
            .subscriptionIdentifiersAvailable, .sharedSubscriptionAvailable,
        ])
    package static let publish = PropertyContext(
        "PUBLISH",
        [
            .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData,
            .subscriptionIdentifier, .topicAlias,
        ])
    package static let ack = PropertyContext("acknowledgement", [.reasonString])
    package static let subscribe = PropertyContext("SUBSCRIBE", [.subscriptionIdentifier])
    package static let unsubscribe = PropertyContext("UNSUBSCRIBE", [])
    package static let disconnect = PropertyContext(
        "DISCONNECT", [.sessionExpiryInterval, .reasonString, .serverReference])
    package static let auth = PropertyContext(
        "AUTH", [.authenticationMethod, .authenticationData, .reasonString])
    /// Any property: for reading back properties we stored ourselves.
    package static let stored = PropertyContext(
        "stored message",
        [
            .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData,
            .subscriptionIdentifier, .topicAlias,
        ])
}

extension Properties {
    /// Reads a property length and the properties after it (§2.2.2).
    /// - Throws: malformed for unknown or misplaced identifiers and bad values, protocol error for duplicates.
    package static func read(
        from buffer: inout ByteBuffer, context: PropertyContext
    ) throws(MQTTDecodeError) -> Properties {
        let length = try buffer.readMQTTVariableInteger(field: "property length")
        guard var slice = buffer.readSlice(length: length) else { throw .truncated("\(context.name) properties") }
        return try Properties.readAll(from: &slice, context: context)
    }

    /// Reads properties until the buffer is empty (no length prefix).
    package static func readAll(
        from slice: inout ByteBuffer, context: PropertyContext
    ) throws(MQTTDecodeError) -> Properties {
        var properties = Properties()
        var seen = Set<UInt8>()
        while slice.readableBytes > 0 {
            let rawID = try slice.readMQTTVariableInteger(field: "property identifier")
            guard rawID <= UInt8.max, let id = PropertyID(rawValue: UInt8(rawID)) else {
                throw .malformed("unknown property identifier 0x\(String(rawID, radix: 16)) in \(context.name)")
            }
            guard context.allowed.contains(id.rawValue) else {
                throw .malformed("property 0x\(String(id.rawValue, radix: 16)) is not allowed in \(context.name)")
            }
            if id != .userProperty && id != .subscriptionIdentifier {
                guard seen.insert(id.rawValue).inserted else {
                    throw .protocolError("property 0x\(String(id.rawValue, radix: 16)) appears twice in \(context.name)")
                }
            }
            try properties.readValue(id, from: &slice)
        }
        return properties
    }

    private mutating func readValue(_ id: PropertyID, from slice: inout ByteBuffer) throws(MQTTDecodeError) {
        switch id {
        case .payloadFormatIndicator:
            self.payloadFormatIndicator = try Self.readFlag(&slice, "payload format indicator")
        case .messageExpiryInterval:
            self.messageExpiryInterval = try slice.readMQTTUInt32(field: "message expiry interval")
        case .contentType:
            self.contentType = try slice.readMQTTString(field: "content type")
        case .responseTopic:
            let topic = try slice.readMQTTString(field: "response topic")
            guard TopicRules.isValidTopicName(topic) else {
                throw .protocolError("response topic '\(topic)' is not a valid topic name")
            }
            self.responseTopic = topic
        case .correlationData:
            self.correlationData = try slice.readMQTTBinary(field: "correlation data")
        case .subscriptionIdentifier:
            let value = try slice.readMQTTVariableInteger(field: "subscription identifier")
            guard value > 0 else { throw .protocolError("subscription identifier 0 is not allowed") }
            self.subscriptionIdentifiers.append(value)
        case .sessionExpiryInterval:
            self.sessionExpiryInterval = try slice.readMQTTUInt32(field: "session expiry interval")
        case .assignedClientIdentifier:
            self.assignedClientIdentifier = try slice.readMQTTString(field: "assigned client identifier")
        case .serverKeepAlive:
            self.serverKeepAlive = try slice.readMQTTUInt16(field: "server keep alive")
        case .authenticationMethod:
            self.authenticationMethod = try slice.readMQTTString(field: "authentication method")
        case .authenticationData:
            self.authenticationData = try slice.readMQTTBinary(field: "authentication data")
        case .requestProblemInformation:
            self.requestProblemInformation = try Self.readFlag(&slice, "request problem information")
        case .willDelayInterval:
            self.willDelayInterval = try slice.readMQTTUInt32(field: "will delay interval")
        case .requestResponseInformation:
            self.requestResponseInformation = try Self.readFlag(&slice, "request response information")
        case .responseInformation:
            self.responseInformation = try slice.readMQTTString(field: "response information")
        case .serverReference:
            self.serverReference = try slice.readMQTTString(field: "server reference")
        case .reasonString:
            self.reasonString = try slice.readMQTTString(field: "reason string")
        case .receiveMaximum:
            let value = try slice.readMQTTUInt16(field: "receive maximum")
            guard value > 0 else { throw .protocolError("receive maximum 0 is not allowed") }
            self.receiveMaximum = value
        case .topicAliasMaximum:
            self.topicAliasMaximum = try slice.readMQTTUInt16(field: "topic alias maximum")
        case .topicAlias:
            let value = try slice.readMQTTUInt16(field: "topic alias")
            guard value > 0 else { throw .protocolError("topic alias 0 is not allowed") }
            self.topicAlias = value
        case .maximumQoS:
            self.maximumQoS = try Self.readFlag(&slice, "maximum QoS")
        case .retainAvailable:
            self.retainAvailable = try Self.readFlag(&slice, "retain available")
        case .userProperty:
            let name = try slice.readMQTTString(field: "user property name")
            let value = try slice.readMQTTString(field: "user property value")
            self.userProperties.append(UserProperty(name: name, value: value))
        case .maximumPacketSize:
            let value = try slice.readMQTTUInt32(field: "maximum packet size")
            guard value > 0 else { throw .protocolError("maximum packet size 0 is not allowed") }
            self.maximumPacketSize = value
        case .wildcardSubscriptionAvailable:
            self.wildcardSubscriptionAvailable = try Self.readFlag(&slice, "wildcard subscription available")
        case .subscriptionIdentifiersAvailable:
            self.subscriptionIdentifiersAvailable = try Self.readFlag(&slice, "subscription identifiers available")
        case .sharedSubscriptionAvailable:
            self.sharedSubscriptionAvailable = try Self.readFlag(&slice, "shared subscription available")
        }
    }

    private static func readFlag(_ slice: inout ByteBuffer, _ field: String) throws(MQTTDecodeError) -> UInt8 {
        let value = try slice.readMQTTByte(field: field)
        guard value <= 1 else { throw .protocolError("\(field) must be 0 or 1, got \(value)") }
        return value
    }

    /// Writes the property length and the properties (§2.2.2).
    package func write(to buffer: inout ByteBuffer) {
        let length = self.encodedLength
        buffer.writeMQTTVariableInteger(length)
        self.writeBody(to: &buffer)
    }

    /// Bytes of the properties, without the length prefix.
    package var encodedLength: Int {
        if self.isEmpty { return 0 }
        var scratch = ByteBuffer()
        self.writeBody(to: &scratch)
        return scratch.readableBytes
    }

    /// The length prefix plus the properties.
    package var encodedLengthWithPrefix: Int {
        let length = self.encodedLength
        return ByteBuffer.mqttVariableIntegerSize(length) + length
    }

    /// Writes the properties without a length prefix.
    package func writeBody(to buffer: inout ByteBuffer) {
        func byte(_ id: PropertyID, _ value: UInt8?) {
            guard let value else { return }
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(value)
        }
        func u16(_ id: PropertyID, _ value: UInt16?) {
            guard let value else { return }
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(value)
        }
        func u32(_ id: PropertyID, _ value: UInt32?) {
            guard let value else { return }
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(value)
        }
        func string(_ id: PropertyID, _ value: String?) {
            guard let value else { return }
            buffer.writeInteger(id.rawValue)
            buffer.writeMQTTString(value)
        }
        func binary(_ id: PropertyID, _ value: [UInt8]?) {
            guard let value else { return }
            buffer.writeInteger(id.rawValue)
            buffer.writeMQTTBinary(value)
        }
        byte(.payloadFormatIndicator, self.payloadFormatIndicator)
        u32(.messageExpiryInterval, self.messageExpiryInterval)
        string(.contentType, self.contentType)
        string(.responseTopic, self.responseTopic)
        binary(.correlationData, self.correlationData)
        for identifier in self.subscriptionIdentifiers {
            buffer.writeInteger(PropertyID.subscriptionIdentifier.rawValue)
            buffer.writeMQTTVariableInteger(identifier)
        }
        u32(.sessionExpiryInterval, self.sessionExpiryInterval)
        string(.assignedClientIdentifier, self.assignedClientIdentifier)
        u16(.serverKeepAlive, self.serverKeepAlive)
        string(.authenticationMethod, self.authenticationMethod)
        binary(.authenticationData, self.authenticationData)
        byte(.requestProblemInformation, self.requestProblemInformation)
        u32(.willDelayInterval, self.willDelayInterval)
        byte(.requestResponseInformation, self.requestResponseInformation)
        string(.responseInformation, self.responseInformation)
        string(.serverReference, self.serverReference)
        string(.reasonString, self.reasonString)
        u16(.receiveMaximum, self.receiveMaximum)
        u16(.topicAliasMaximum, self.topicAliasMaximum)
        u16(.topicAlias, self.topicAlias)
        byte(.maximumQoS, self.maximumQoS)
        byte(.retainAvailable, self.retainAvailable)
        for property in self.userProperties {
            buffer.writeInteger(PropertyID.userProperty.rawValue)
            buffer.writeMQTTString(property.name)
            buffer.writeMQTTString(property.value)
        }
        u32(.maximumPacketSize, self.maximumPacketSize)
        byte(.wildcardSubscriptionAvailable, self.wildcardSubscriptionAvailable)
        byte(.subscriptionIdentifiersAvailable, self.subscriptionIdentifiersAvailable)
        byte(.sharedSubscriptionAvailable, self.sharedSubscriptionAvailable)
    }

    /// Encodes message properties for storage (no length prefix).
    public func storageBytes() -> [UInt8] {
        if self.isEmpty { return [] }
        var buffer = ByteBuffer()
        self.writeBody(to: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// Decodes message properties written by ``storageBytes()``.
    public static func fromStorage(_ bytes: [UInt8]) throws(MQTTDecodeError) -> Properties {
        if bytes.isEmpty { return Properties() }
        var buffer = ByteBuffer(bytes: bytes)
        return try Properties.readAll(from: &buffer, context: .stored)
    }
}
