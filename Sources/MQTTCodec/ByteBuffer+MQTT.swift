import NIOCore

extension ByteBuffer {
    /// The largest value a variable byte integer can hold (§1.5.5).
    package static let maxVariableByteInteger = 268_435_455

    /// Reads a variable byte integer (§1.5.5): at most four bytes.
    package mutating func readMQTTVariableInteger(field: String) throws(MQTTDecodeError) -> Int {
        var value = 0
        var multiplier = 1
        for index in 0..<4 {
            guard let byte = self.readInteger(as: UInt8.self) else { throw .truncated(field) }
            value += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 {
                // §1.5.5: the encoding must use the minimum number of bytes.
                if index > 0 && byte == 0 { throw .malformed("\(field) is not minimally encoded") }
                return value
            }
            multiplier *= 128
        }
        throw .malformed("\(field) is longer than four bytes")
    }

    /// Writes a variable byte integer (§1.5.5).
    @discardableResult
    package mutating func writeMQTTVariableInteger(_ value: Int) -> Int {
        precondition(value >= 0 && value <= ByteBuffer.maxVariableByteInteger, "variable integer out of range")
        var remaining = value
        var written = 0
        repeat {
            var byte = UInt8(remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            written += self.writeInteger(byte)
        } while remaining > 0
        return written
    }

    /// How many bytes a variable byte integer takes.
    package static func mqttVariableIntegerSize(_ value: Int) -> Int {
        switch value {
        case ..<128: 1
        case ..<16_384: 2
        case ..<2_097_152: 3
        default: 4
        }
    }

    /// Reads a two-byte length-prefixed UTF-8 string and checks it (§1.5.4): well-formed, no U+0000.
    package mutating func readMQTTString(field: String) throws(MQTTDecodeError) -> String {
        guard let length = self.readInteger(as: UInt16.self) else { throw .truncated(field) }
        guard let bytes = self.readBytes(length: Int(length)) else { throw .truncated(field) }
        return try MQTTString.decode(bytes, field: field)
    }

    /// Reads two-byte length-prefixed binary data (§1.5.6).
    package mutating func readMQTTBinary(field: String) throws(MQTTDecodeError) -> [UInt8] {
        guard let length = self.readInteger(as: UInt16.self) else { throw .truncated(field) }
        guard let bytes = self.readBytes(length: Int(length)) else { throw .truncated(field) }
        return bytes
    }

    /// Writes a two-byte length-prefixed UTF-8 string (§1.5.4). Strings longer than 65,535 bytes are refused
    /// earlier, by validation.
    package mutating func writeMQTTString(_ string: String) {
        let count = string.utf8.count
        self.writeInteger(UInt16(truncatingIfNeeded: count))
        self.writeString(string)
    }

    /// Writes two-byte length-prefixed binary data (§1.5.6).
    package mutating func writeMQTTBinary(_ bytes: [UInt8]) {
        self.writeInteger(UInt16(truncatingIfNeeded: bytes.count))
        self.writeBytes(bytes)
    }

    package mutating func readMQTTByte(field: String) throws(MQTTDecodeError) -> UInt8 {
        guard let byte = self.readInteger(as: UInt8.self) else { throw .truncated(field) }
        return byte
    }

    package mutating func readMQTTUInt16(field: String) throws(MQTTDecodeError) -> UInt16 {
        guard let value = self.readInteger(as: UInt16.self) else { throw .truncated(field) }
        return value
    }

    package mutating func readMQTTUInt32(field: String) throws(MQTTDecodeError) -> UInt32 {
        guard let value = self.readInteger(as: UInt32.self) else { throw .truncated(field) }
        return value
    }
}

/// UTF-8 rules for MQTT strings (§1.5.4).
public enum MQTTString {
    /// Decodes bytes as an MQTT UTF-8 string.
    /// - Throws: a malformed-packet error when the bytes are not well-formed UTF-8 or contain U+0000.
    public static func decode(_ bytes: [UInt8], field: String) throws(MQTTDecodeError) -> String {
        if bytes.isEmpty { return "" }
        guard !bytes.contains(0) else { throw .malformed("\(field) contains the null character U+0000") }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw .malformed("\(field) is not well-formed UTF-8")
        }
        return string
    }

    /// Whether a payload is well-formed UTF-8, as payload format indicator 1 promises (§3.3.2.3.2).
    public static func isValidPayload(_ bytes: some Collection<UInt8>) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }
}
