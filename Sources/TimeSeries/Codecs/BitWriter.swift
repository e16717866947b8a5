/// Appends bit fields, most significant bit first, to a byte array.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    /// Bits still free in the last byte (0 means a new byte is needed).
    private var free = 0

    init(reservingBits bits: Int = 0) {
        self.bytes.reserveCapacity(bits / 8 + 1)
    }

    /// Writes the low `count` bits of `value` (0...64).
    mutating func write(_ value: UInt64, bits count: Int) {
        var remaining = count
        while remaining > 0 {
            if self.free == 0 {
                self.bytes.append(0)
                self.free = 8
            }
            let take = min(self.free, remaining)
            let shift = remaining - take
            let chunk = UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & ((1 << UInt64(take)) &- 1))
            self.bytes[self.bytes.count - 1] |= chunk << UInt8(self.free - take)
            self.free -= take
            remaining -= take
        }
    }

    mutating func writeBit(_ bit: Bool) {
        self.write(bit ? 1 : 0, bits: 1)
    }
}

/// Reads bit fields written by ``BitWriter``; reading past the end yields ``TimeSeriesError``.
struct BitReader {
    private let bytes: [UInt8]
    private let end: Int
    private var position: Int  // in bits

    init(_ bytes: [UInt8], startByte: Int = 0, endByte: Int? = nil) {
        self.bytes = bytes
        self.position = startByte * 8
        self.end = (endByte ?? bytes.count) * 8
    }

    /// The byte offset just past the last bit read.
    var byteOffset: Int { (self.position + 7) / 8 }

    mutating func read(bits count: Int) throws(TimeSeriesError) -> UInt64 {
        guard count >= 0, self.position + count <= self.end else { throw .corruptChunk("bit stream ends early") }
        var value: UInt64 = 0
        var remaining = count
        while remaining > 0 {
            let byte = self.bytes[self.position >> 3]
            let offset = self.position & 7
            let available = 8 - offset
            let take = min(available, remaining)
            let bits = (UInt64(byte) >> UInt64(available - take)) & ((1 << UInt64(take)) &- 1)
            value = (value << UInt64(take)) | bits
            self.position += take
            remaining -= take
        }
        return value
    }

    mutating func readBit() throws(TimeSeriesError) -> Bool {
        try self.read(bits: 1) == 1
    }
}
