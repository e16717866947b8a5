import NIOCore

/// CONNECT (§3.1): the first packet of every connection.
public struct ConnectPacket: Sendable, Equatable {
    /// A will message (§3.1.2.5), published when the connection ends abnormally.
    public struct Will: Sendable, Equatable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: QoS
        public var retain: Bool
        public var properties: Properties

        public init(topic: String, payload: [UInt8], qos: QoS, retain: Bool, properties: Properties = Properties()) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
            self.properties = properties
        }
    }

    public var protocolVersion: ProtocolVersion
    public var clientID: String
    /// Clean session (3.1.1) or clean start (5.0).
    public var cleanStart: Bool
    public var keepAlive: UInt16
    public var username: String?
    public var password: [UInt8]?
    public var will: Will?
    public var properties: Properties

    public init(
        protocolVersion: ProtocolVersion, clientID: String, cleanStart: Bool = true, keepAlive: UInt16 = 60,
        username: String? = nil, password: [UInt8]? = nil, will: Will? = nil, properties: Properties = Properties()
    ) {
        self.protocolVersion = protocolVersion
        self.clientID = clientID
        self.cleanStart = cleanStart
        self.keepAlive = keepAlive
        self.username = username
        self.password = password
        self.will = will
        self.properties = properties
    }

    /// Reads the protocol level of a CONNECT body without decoding it, so that a broken CONNECT can still
    /// be answered in the client's protocol version.
    public static func peekProtocolVersion(_ body: ByteBuffer) -> ProtocolVersion? {
        var peek = body
        guard let nameLength = peek.readInteger(as: UInt16.self), peek.readSlice(length: Int(nameLength)) != nil,
            let level = peek.readInteger(as: UInt8.self)
        else { return nil }
        return ProtocolVersion(rawValue: level)
    }

    static func read(from body: inout ByteBuffer, flags: UInt8) throws(MQTTDecodeError) -> ConnectPacket {
        guard flags == 0 else { throw .malformed("CONNECT fixed header flags must be 0") }
        let name = try body.readMQTTString(field: "protocol name")
        let level = try body.readMQTTByte(field: "protocol level")
        let version: ProtocolVersion
        switch (name, level) {
        case ("MQTT", 4): version = .v3_1_1
        case ("MQTT", 5): version = .v5
        case ("MQIsdp", 3): version = .v3_1
        case ("MQTT", _), ("MQIsdp", _):
            throw .unsupportedProtocol("protocol level \(level) is not supported; use MQTT 3.1.1 (4) or 5.0 (5)")
        default:
            throw .unsupportedProtocol("protocol name '\(name)' is not MQTT")
        }
        let connectFlags = try body.readMQTTByte(field: "connect flags")
        // §3.1.2.3: the reserved flag must be 0.
        guard connectFlags & 0x01 == 0 else { throw .malformed("CONNECT reserved flag is set") }
        let cleanStart = connectFlags & 0x02 != 0
        let hasWill = connectFlags & 0x04 != 0
        let willQoSRaw = (connectFlags >> 3) & 0x03
        let willRetain = connectFlags & 0x20 != 0
        let hasPassword = connectFlags & 0x40 != 0
        let hasUsername = connectFlags & 0x80 != 0
        guard let willQoS = QoS(rawValue: willQoSRaw) else { throw .malformed("will QoS 3 is not allowed") }
        if !hasWill && (willQoSRaw != 0 || willRetain) {
            throw .malformed("will QoS and will retain must be 0 without a will")
        }
        if version != .v5 && hasPassword && !hasUsername {
            throw .malformed("a password without a user name is not allowed before MQTT 5")
        }
        let keepAlive = try body.readMQTTUInt16(field: "keep alive")
        let properties = version.hasProperties ? try Properties.read(from: &body, context: .connect) : Properties()
        let clientID = try body.readMQTTString(field: "client identifier")
        var will: Will?
        if hasWill {
            let willProperties = version.hasProperties ? try Properties.read(from: &body, context: .will) : Properties()
            let topic = try body.readMQTTString(field: "will topic")
            guard TopicRules.isValidTopicName(topic) else {
                throw MQTTDecodeError(reasonCode: .topicNameInvalid, message: "will topic '\(topic)' is not a valid topic name")
            }
            let payload = try body.readMQTTBinary(field: "will payload")
            will = Will(topic: topic, payload: payload, qos: willQoS, retain: willRetain, properties: willProperties)
        }
        let username = hasUsername ? try body.readMQTTString(field: "user name") : nil
        let password = hasPassword ? try body.readMQTTBinary(field: "password") : nil
        guard body.readableBytes == 0 else { throw .malformed("CONNECT has \(body.readableBytes) bytes after its payload") }
        return ConnectPacket(
            protocolVersion: version, clientID: clientID, cleanStart: cleanStart, keepAlive: keepAlive,
            username: username, password: password, will: will, properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer) {
        buffer.writeMQTTString(self.protocolVersion == .v3_1 ? "MQIsdp" : "MQTT")
        buffer.writeInteger(self.protocolVersion.rawValue)
        var flags: UInt8 = 0
        if self.cleanStart { flags |= 0x02 }
        if let will = self.will {
            flags |= 0x04 | (will.qos.rawValue << 3)
            if will.retain { flags |= 0x20 }
        }
        if self.password != nil { flags |= 0x40 }
        if self.username != nil { flags |= 0x80 }
        buffer.writeInteger(flags)
        buffer.writeInteger(self.keepAlive)
        if self.protocolVersion.hasProperties { self.properties.write(to: &buffer) }
        buffer.writeMQTTString(self.clientID)
        if let will = self.will {
            if self.protocolVersion.hasProperties { will.properties.write(to: &buffer) }
            buffer.writeMQTTString(will.topic)
            buffer.writeMQTTBinary(will.payload)
        }
        if let username = self.username { buffer.writeMQTTString(username) }
        if let password = self.password { buffer.writeMQTTBinary(password) }
    }
}

/// CONNACK (§3.2): the server's answer to CONNECT.
public struct ConnAckPacket: Sendable, Equatable {
    public var sessionPresent: Bool
    /// The reason code (v5) or the return code mapped from it (3.1.1).
    public var reasonCode: ReasonCode
    public var properties: Properties

    public init(sessionPresent: Bool, reasonCode: ReasonCode, properties: Properties = Properties()) {
        self.sessionPresent = sessionPresent
        self.reasonCode = reasonCode
        self.properties = properties
    }

    static func read(from body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) -> ConnAckPacket {
        let flags = try body.readMQTTByte(field: "CONNACK flags")
        guard flags & 0xFE == 0 else { throw .malformed("CONNACK reserved flags are set") }
        let code = try body.readMQTTByte(field: "CONNACK reason code")
        let properties = version.hasProperties ? try Properties.read(from: &body, context: .connAck) : Properties()
        return ConnAckPacket(sessionPresent: flags & 1 == 1, reasonCode: ReasonCode(rawValue: code), properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        buffer.writeInteger(UInt8(self.sessionPresent ? 1 : 0))
        if version.hasProperties {
            buffer.writeInteger(self.reasonCode.rawValue)
            self.properties.write(to: &buffer)
        } else {
            buffer.writeInteger(self.reasonCode.connectReturnCodeV3)
        }
    }
}
