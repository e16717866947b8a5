import NIOCore

/// Every MQTT control packet (§2.1.2).
public enum MQTTPacket: Sendable, Equatable {
    case connect(ConnectPacket)
    case connack(ConnAckPacket)
    case publish(PublishPacket)
    case publishAck(PublishAckPacket)
    case subscribe(SubscribePacket)
    case subscribeAck(SubscribeAckPacket)
    case unsubscribe(UnsubscribePacket)
    case pingreq
    case pingresp
    case disconnect(DisconnectPacket)
    /// AUTH (MQTT 5 only), which shares DISCONNECT's shape.
    case auth(DisconnectPacket)

    /// The packet type name, for logs.
    public var name: String {
        switch self {
        case .connect: "CONNECT"
        case .connack: "CONNACK"
        case .publish: "PUBLISH"
        case .publishAck(let ack): ack.kind.name
        case .subscribe: "SUBSCRIBE"
        case .subscribeAck(let ack): ack.kind == .suback ? "SUBACK" : "UNSUBACK"
        case .unsubscribe: "UNSUBSCRIBE"
        case .pingreq: "PINGREQ"
        case .pingresp: "PINGRESP"
        case .disconnect: "DISCONNECT"
        case .auth: "AUTH"
        }
    }

    /// Decodes one packet from a frame.
    /// - Parameters:
    ///   - frame: the fixed header byte and the body, as ``MQTTFrameDecoder`` produced them.
    ///   - version: the protocol version of the connection; ignored for CONNECT, which carries its own.
    /// - Throws: ``MQTTDecodeError`` naming the reason code to report.
    public static func decode(_ frame: MQTTFrame, version: ProtocolVersion) throws(MQTTDecodeError) -> MQTTPacket {
        var body = frame.body
        let flags = frame.header & 0x0F
        switch frame.header >> 4 {
        case 1: return .connect(try ConnectPacket.read(from: &body, flags: flags))
        case 2:
            guard flags == 0 else { throw .malformed("CONNACK fixed header flags must be 0") }
            return .connack(try ConnAckPacket.read(from: &body, version: version))
        case 3: return .publish(try PublishPacket.read(from: &body, flags: flags, version: version))
        case 4: return .publishAck(try PublishAckPacket.read(from: &body, kind: .puback, flags: flags, version: version))
        case 5: return .publishAck(try PublishAckPacket.read(from: &body, kind: .pubrec, flags: flags, version: version))
        case 6: return .publishAck(try PublishAckPacket.read(from: &body, kind: .pubrel, flags: flags, version: version))
        case 7:
            return .publishAck(try PublishAckPacket.read(from: &body, kind: .pubcomp, flags: flags, version: version))
        case 8: return .subscribe(try SubscribePacket.read(from: &body, flags: flags, version: version))
        case 9:
            return .subscribeAck(try SubscribeAckPacket.read(from: &body, kind: .suback, flags: flags, version: version))
        case 10: return .unsubscribe(try UnsubscribePacket.read(from: &body, flags: flags, version: version))
        case 11:
            return .subscribeAck(
                try SubscribeAckPacket.read(from: &body, kind: .unsuback, flags: flags, version: version))
        case 12, 13:
            guard flags == 0, body.readableBytes == 0 else { throw .malformed("PING packets have no flags or body") }
            return frame.header >> 4 == 12 ? .pingreq : .pingresp
        case 14:
            return .disconnect(try DisconnectPacket.read(from: &body, flags: flags, version: version, context: .disconnect))
        case 15:
            guard version.hasProperties else { throw .malformed("AUTH exists only in MQTT 5") }
            return .auth(try DisconnectPacket.read(from: &body, flags: flags, version: version, context: .auth))
        default:
            throw .malformed("packet type 0 is reserved")
        }
    }

    /// Encodes the packet, fixed header included, onto `buffer`.
    public func write(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        switch self {
        case .publish(let publish):
            // Hot path: the length is computed, not measured, so the payload is copied once.
            buffer.writeInteger(0x30 | publish.fixedHeaderFlags)
            buffer.writeMQTTVariableInteger(publish.bodyLength(version: version))
            publish.writeBody(to: &buffer, version: version)
        case .pingreq:
            buffer.writeInteger(UInt16(0xC000))
        case .pingresp:
            buffer.writeInteger(UInt16(0xD000))
        default:
            var body = ByteBuffer()
            body.reserveCapacity(64)
            let header = self.writeBody(to: &body, version: version)
            buffer.writeInteger(header)
            buffer.writeMQTTVariableInteger(body.readableBytes)
            buffer.writeBuffer(&body)
        }
    }

    /// Writes the body of a non-PUBLISH packet and returns its fixed header byte.
    private func writeBody(to body: inout ByteBuffer, version: ProtocolVersion) -> UInt8 {
        switch self {
        case .connect(let packet):
            packet.writeBody(to: &body)
            return 0x10
        case .connack(let packet):
            packet.writeBody(to: &body, version: version)
            return 0x20
        case .publishAck(let packet):
            packet.writeBody(to: &body, version: version)
            return packet.kind.rawValue << 4 | (packet.kind == .pubrel ? 0x02 : 0)
        case .subscribe(let packet):
            packet.writeBody(to: &body, version: version)
            return 0x82
        case .subscribeAck(let packet):
            packet.writeBody(to: &body, version: version)
            return packet.kind == .suback ? 0x90 : 0xB0
        case .unsubscribe(let packet):
            packet.writeBody(to: &body, version: version)
            return 0xA2
        case .disconnect(let packet):
            packet.writeBody(to: &body, version: version)
            return 0xE0
        case .auth(let packet):
            packet.writeBody(to: &body, version: version)
            return 0xF0
        case .publish, .pingreq, .pingresp:
            preconditionFailure("handled by write(to:version:)")
        }
    }

    /// The encoded size of the packet, fixed header included.
    public func encodedSize(version: ProtocolVersion) -> Int {
        if case .publish(let publish) = self {
            let body = publish.bodyLength(version: version)
            return 1 + ByteBuffer.mqttVariableIntegerSize(body) + body
        }
        var buffer = ByteBuffer()
        self.write(to: &buffer, version: version)
        return buffer.readableBytes
    }
}

extension PublishAckPacket.Kind {
    /// The packet type name.
    public var name: String {
        switch self {
        case .puback: "PUBACK"
        case .pubrec: "PUBREC"
        case .pubrel: "PUBREL"
        case .pubcomp: "PUBCOMP"
        }
    }
}
