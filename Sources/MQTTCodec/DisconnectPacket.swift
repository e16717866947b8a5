import NIOCore

/// DISCONNECT (§3.14) and, for MQTT 5, AUTH (§3.15), which share its shape: a reason code and properties.
public struct DisconnectPacket: Sendable, Equatable {
    public var reasonCode: ReasonCode
    public var properties: Properties

    public init(reasonCode: ReasonCode = .normalDisconnection, properties: Properties = Properties()) {
        self.reasonCode = reasonCode
        self.properties = properties
    }

    static func read(
        from body: inout ByteBuffer, flags: UInt8, version: ProtocolVersion, context: PropertyContext
    ) throws(MQTTDecodeError) -> DisconnectPacket {
        guard flags == 0 else { throw .malformed("\(context.name) fixed header flags must be 0") }
        guard version.hasProperties else {
            guard body.readableBytes == 0 else { throw .malformed("DISCONNECT has a payload before MQTT 5") }
            return DisconnectPacket()
        }
        // §3.14.2.1: a remaining length of 0 means reason 0x00 without properties.
        guard body.readableBytes > 0 else { return DisconnectPacket() }
        let reason = ReasonCode(rawValue: try body.readMQTTByte(field: "reason code"))
        let properties = body.readableBytes > 0 ? try Properties.read(from: &body, context: context) : Properties()
        guard body.readableBytes == 0 else { throw .malformed("\(context.name) has trailing bytes") }
        return DisconnectPacket(reasonCode: reason, properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer, version: ProtocolVersion) {
        guard version.hasProperties else { return }
        if self.reasonCode == .normalDisconnection && self.properties.isEmpty { return }
        buffer.writeInteger(self.reasonCode.rawValue)
        self.properties.write(to: &buffer)
    }
}
