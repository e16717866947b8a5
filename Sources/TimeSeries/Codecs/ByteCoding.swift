/// Varint, zig-zag and fixed-width helpers shared by the chunk, WAL and catalog formats.
enum ByteCoding {
    @inline(__always) static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always) static func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    @inline(__always) static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    static func appendFixed64(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func appendFixed32(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        let utf8 = Array(value.utf8)
        appendVarint(UInt64(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }
}

/// A bounds-checked cursor over bytes of our own formats; every read past the end throws.
struct ByteCursor {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { self.offset >= self.end }

    mutating func byte() throws(TimeSeriesError) -> UInt8 {
        guard self.offset < self.end else { throw .corruptChunk("record ends early") }
        defer { self.offset += 1 }
        return self.bytes[self.offset]
    }

    mutating func varint() throws(TimeSeriesError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try self.byte()
            guard shift < 64 else { throw .corruptChunk("varint too long") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    mutating func fixed64() throws(TimeSeriesError) -> UInt64 {
        guard self.offset + 8 <= self.end else { throw .corruptChunk("record ends early") }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(self.bytes[self.offset + index]) << UInt64(8 * index) }
        self.offset += 8
        return value
    }

    mutating func fixed32() throws(TimeSeriesError) -> UInt32 {
        guard self.offset + 4 <= self.end else { throw .corruptChunk("record ends early") }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(self.bytes[self.offset + index]) << UInt32(8 * index) }
        self.offset += 4
        return value
    }

    mutating func string() throws(TimeSeriesError) -> String {
        let count = Int(clamping: try self.varint())
        guard count <= self.end - self.offset else { throw .corruptChunk("string runs past the record") }
        defer { self.offset += count }
        return String(decoding: self.bytes[self.offset..<self.offset + count], as: UTF8.self)
    }
}
