import Foundation

/// Doubles: decimals of bounded precision (most sensor readings) become scaled integers for
/// ``IntegerCodec``; everything else (NaN, ±Inf, -0, full-precision values) uses Gorilla XOR.
enum FloatCodec {
    /// How a double column was stored.
    enum Layout: Equatable {
        case scaled(decimals: Int)
        case xor
    }

    static let maximumDecimals = 6
    private static let powers: [Double] = (0...maximumDecimals).map { pow(10, Double($0)) }

    /// The fewest decimals that represent every value exactly, or `.xor`.
    static func layout(for values: [Double]) -> Layout {
        var decimals = 0
        var index = 0
        while index < values.count {
            let value = values[index]
            guard value.isFinite, abs(value) < 1e15 else { return .xor }
            while !Self.isExact(value, decimals: decimals) {
                decimals += 1
                if decimals > Self.maximumDecimals { return .xor }
            }
            index += 1
        }
        return .scaled(decimals: decimals)
    }

    @inline(__always) private static func isExact(_ value: Double, decimals: Int) -> Bool {
        let power = Self.powers[decimals]
        let scaled = (value * power).rounded()
        guard abs(scaled) < 9e15 else { return false }
        return (Double(Int64(scaled)) / power).bitPattern == value.bitPattern
    }

    static func encode(_ values: [Double], layout: Layout, into writer: inout BitWriter) {
        switch layout {
        case .scaled(let decimals):
            let power = Self.powers[decimals]
            IntegerCodec.encode(values.map { Int64(($0 * power).rounded()) }, into: &writer)
        case .xor:
            Self.encodeXOR(values, into: &writer)
        }
    }

    static func decode(count: Int, layout: Layout, from reader: inout BitReader) throws(TimeSeriesError) -> [Double] {
        switch layout {
        case .scaled(let decimals):
            guard decimals <= Self.maximumDecimals else { throw .corruptChunk("scale out of range") }
            let power = Self.powers[decimals]
            return try IntegerCodec.decode(count: count, from: &reader).map { Double($0) / power }
        case .xor:
            return try Self.decodeXOR(count: count, from: &reader)
        }
    }

    // Gorilla §4.1.2: XOR with the previous value; reuse the previous window of meaningful bits.
    private static func encodeXOR(_ values: [Double], into writer: inout BitWriter) {
        guard let first = values.first else { return }
        var previous = first.bitPattern
        writer.write(previous, bits: 64)
        var leading = 65
        var trailing = 0
        for value in values.dropFirst() {
            let bits = value.bitPattern
            let xor = bits ^ previous
            previous = bits
            if xor == 0 {
                writer.write(0, bits: 1)
                continue
            }
            let newLeading = min(xor.leadingZeroBitCount, 31)
            let newTrailing = xor.trailingZeroBitCount
            if leading <= newLeading && trailing <= newTrailing {
                writer.write(0b10, bits: 2)
                writer.write(xor >> UInt64(trailing), bits: 64 - leading - trailing)
            } else {
                leading = newLeading
                trailing = newTrailing
                let length = 64 - leading - trailing
                writer.write(0b11, bits: 2)
                writer.write(UInt64(leading), bits: 5)
                writer.write(UInt64(length == 64 ? 0 : length), bits: 6)
                writer.write(xor >> UInt64(trailing), bits: length)
            }
        }
    }

    private static func decodeXOR(count: Int, from reader: inout BitReader) throws(TimeSeriesError) -> [Double] {
        guard count > 0 else { return [] }
        var result = [Double]()
        result.reserveCapacity(count)
        var previous = try reader.read(bits: 64)
        result.append(Double(bitPattern: previous))
        var leading = 0
        var trailing = 0
        while result.count < count {
            if try reader.readBit() {
                if try reader.readBit() {
                    leading = Int(try reader.read(bits: 5))
                    var length = Int(try reader.read(bits: 6))
                    if length == 0 { length = 64 }
                    guard leading + length <= 64 else { throw .corruptChunk("XOR window out of range") }
                    trailing = 64 - leading - length
                }
                let length = 64 - leading - trailing
                let xor = try reader.read(bits: length) << UInt64(trailing)
                previous ^= xor
            }
            result.append(Double(bitPattern: previous))
        }
        return result
    }
}
