import NIOCore

/// One MQTT packet as framed on the wire: the fixed header byte and the body bytes.
public struct MQTTFrame: Sendable, Equatable {
    /// The first byte: packet type in the high nibble, flags in the low nibble.
    public var header: UInt8
    /// The variable header and payload.
    public var body: ByteBuffer

    public init(header: UInt8, body: ByteBuffer) {
        self.header = header
        self.body = body
    }
}

/// Splits a byte stream into MQTT frames (§2.1), refusing oversize packets before buffering them.
///
/// Decoding of the frame's contents is left to ``MQTTPacket/decode(_:version:)``, because the protocol
/// version is known only after CONNECT.
public struct MQTTFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = MQTTFrame

    /// The largest packet accepted, fixed header included.
    public let maximumPacketSize: Int

    public init(maximumPacketSize: Int) {
        self.maximumPacketSize = maximumPacketSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> MQTTFrame? {
        try self.decodeFrame(&buffer)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MQTTFrame? {
        try self.decodeFrame(&buffer)
    }

    /// Decodes one frame or returns `nil` when more bytes are needed.
    public func decodeFrame(_ buffer: inout ByteBuffer) throws(MQTTDecodeError) -> MQTTFrame? {
        var peek = buffer
        guard let header = peek.readInteger(as: UInt8.self) else { return nil }
        var length = 0
        var multiplier = 1
        var lengthBytes = 0
        while true {
            guard let byte = peek.readInteger(as: UInt8.self) else { return nil }
            lengthBytes += 1
            length += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 { break }
            guard lengthBytes < 4 else { throw .malformed("remaining length is longer than four bytes") }
            multiplier *= 128
        }
        let total = 1 + lengthBytes + length
        guard total <= self.maximumPacketSize else {
            throw .packetTooLarge(size: total, limit: self.maximumPacketSize)
        }
        guard let body = peek.readSlice(length: length) else { return nil }
        buffer = peek
        return MQTTFrame(header: header, body: body)
    }
}
