import MQTTCodec
import NIOCore
import Testing

/// Frames raw bytes and decodes them, returning the error.
func decodeError(_ bytes: [UInt8], version: ProtocolVersion = .v5, maximumPacketSize: Int = 1 << 20) -> MQTTDecodeError? {
    var buffer = ByteBuffer(bytes: bytes)
    do {
        guard let frame = try MQTTFrameDecoder(maximumPacketSize: maximumPacketSize).decodeFrame(&buffer) else {
            return nil
        }
        _ = try MQTTPacket.decode(frame, version: version)
        return nil
    } catch {
        return error
    }
}

/// A CONNECT body for protocol level `level` with connect flags `flags`.
func connectBytes(level: UInt8 = 4, flags: UInt8 = 0x02, name: String = "MQTT", extra: [UInt8] = []) -> [UInt8] {
    var body: [UInt8] = [0, UInt8(name.utf8.count)] + Array(name.utf8) + [level, flags, 0, 60]
    if level == 5 { body.append(0) }
    body += [0, 1, UInt8(ascii: "c")] + extra
    return [0x10, UInt8(body.count)] + body
}

@Suite("Malformed packets get the expected error")
struct MalformedPacketTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let version: ProtocolVersion
        let reason: ReasonCode
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "remaining length of five bytes", bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], version: .v5, reason: .malformedPacket),
        Case(name: "reserved packet type 0", bytes: [0x00, 0x00], version: .v5, reason: .malformedPacket),
        Case(name: "PUBLISH with QoS 3", bytes: [0x36, 0x05, 0, 1, 0x61, 0, 1], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "QoS 0 PUBLISH with DUP", bytes: [0x38, 0x03, 0, 1, 0x61], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "topic with invalid UTF-8", bytes: [0x30, 0x04, 0, 2, 0xC3, 0x28], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "topic with U+0000", bytes: [0x30, 0x04, 0, 2, 0x61, 0x00], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "topic with a wildcard", bytes: [0x30, 0x05, 0, 3, 0x61, 0x2F, 0x23], version: .v3_1_1, reason: .topicNameInvalid),
        Case(name: "topic length beyond the packet", bytes: [0x30, 0x03, 0, 9, 0x61], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "QoS 1 PUBLISH with packet id 0", bytes: [0x32, 0x05, 0, 1, 0x61, 0, 0], version: .v3_1_1, reason: .protocolError),
        Case(name: "PUBREL with wrong flags", bytes: [0x60, 0x02, 0, 1], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "SUBSCRIBE with flags 0", bytes: [0x80, 0x06, 0, 1, 0, 1, 0x61, 0], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "SUBSCRIBE without filters", bytes: [0x82, 0x02, 0, 1], version: .v3_1_1, reason: .protocolError),
        Case(name: "subscription options with reserved bits (3.1.1)", bytes: [0x82, 0x06, 0, 1, 0, 1, 0x61, 0x04], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "retain handling 3", bytes: [0x82, 0x07, 0, 1, 0, 0, 1, 0x61, 0x30], version: .v5, reason: .protocolError),
        Case(name: "unknown property", bytes: [0x30, 0x06, 0, 1, 0x61, 2, 0x7F, 0], version: .v5, reason: .malformedPacket),
        Case(name: "property not allowed in PUBLISH", bytes: [0x30, 0x09, 0, 1, 0x61, 5, 0x11, 0, 0, 0, 1], version: .v5, reason: .malformedPacket),
        Case(name: "duplicate property", bytes: [0x30, 0x08, 0, 1, 0x61, 4, 0x01, 1, 0x01, 1], version: .v5, reason: .protocolError),
        Case(name: "topic alias 0", bytes: [0x30, 0x07, 0, 1, 0x61, 3, 0x23, 0, 0], version: .v5, reason: .protocolError),
        Case(name: "payload format indicator 2", bytes: [0x30, 0x06, 0, 1, 0x61, 2, 0x01, 2], version: .v5, reason: .protocolError),
        Case(name: "empty topic without alias", bytes: [0x30, 0x03, 0, 0, 0], version: .v5, reason: .protocolError),
        Case(name: "PING with a body", bytes: [0xC0, 0x01, 0], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "AUTH in 3.1.1", bytes: [0xF0, 0x00], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "DISCONNECT with payload in 3.1.1", bytes: [0xE0, 0x01, 0], version: .v3_1_1, reason: .malformedPacket),
        Case(name: "CONNECT reserved flag", bytes: connectBytes(flags: 0x03), version: .v5, reason: .malformedPacket),
        Case(name: "CONNECT will QoS 3", bytes: connectBytes(flags: 0x1E), version: .v5, reason: .malformedPacket),
        Case(name: "CONNECT will retain without will", bytes: connectBytes(flags: 0x22), version: .v5, reason: .malformedPacket),
        Case(name: "CONNECT password without user name (3.1.1)", bytes: connectBytes(flags: 0x42, extra: [0, 0]), version: .v5, reason: .malformedPacket),
        Case(name: "CONNECT protocol level 6", bytes: connectBytes(level: 6), version: .v5, reason: .unsupportedProtocolVersion),
        Case(name: "CONNECT protocol name HTTP", bytes: connectBytes(name: "HTTP"), version: .v5, reason: .unsupportedProtocolVersion),
        Case(name: "CONNECT with trailing bytes", bytes: connectBytes(extra: [1]), version: .v5, reason: .malformedPacket),
    ]

    @Test("malformed packet", arguments: cases)
    func malformed(_ testCase: Case) {
        let error = decodeError(testCase.bytes, version: testCase.version)
        #expect(error?.reasonCode == testCase.reason, "\(testCase.name): \(String(describing: error))")
    }

    @Test("a packet over the maximum size is refused from its fixed header alone")
    func oversize() {
        // Only the fixed header of a 2 MB packet: refused before any body arrives.
        let error = decodeError([0x30, 0x80, 0x80, 0x80, 0x01], maximumPacketSize: 1024)
        #expect(error?.reasonCode == .packetTooLarge)
    }

    @Test("a partial packet asks for more bytes")
    func partial() throws {
        var buffer = ByteBuffer(bytes: [0x30, 0x05, 0, 1])
        let frame = try MQTTFrameDecoder(maximumPacketSize: 100).decodeFrame(&buffer)
        #expect(frame == nil)
        #expect(buffer.readableBytes == 4)
    }

    @Test("topic filter validation", arguments: [
        ("a/b", true), ("+", true), ("#", true), ("a/+/c", true), ("/", true), ("+/+", true), ("a/#", true),
        ("a#", false), ("a/#/b", false), ("a+", false), ("a/b+/c", false), ("", false), ("##", false),
    ])
    func filters(filter: String, valid: Bool) {
        #expect(TopicRules.isValidTopicFilter(filter) == valid)
    }
}
