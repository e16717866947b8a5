import TwinGuardCore

/// Encodes a sealed column chunk: type, count, delta-of-delta timestamps, then the values in the
/// cheapest layout for their type. The chunk file adds a CRC around it.
enum ChunkCodec {
    private enum ValueLayout: UInt8 {
        case scaledDecimal = 1
        case xor = 2
        case integerDelta = 3
        case bits = 4
        case dictionary = 5
    }

    /// Encodes a normalized column (sorted, no duplicate timestamps).
    static func encode(_ column: ColumnData) -> [UInt8] {
        var bytes: [UInt8] = [column.type.rawValue]
        ByteCoding.appendVarint(UInt64(column.count), to: &bytes)
        var times = BitWriter(reservingBits: column.count + 128)
        TimestampCodec.encode(column.timestamps, into: &times)
        ByteCoding.appendVarint(UInt64(times.bytes.count), to: &bytes)
        bytes += times.bytes
        var values = BitWriter(reservingBits: column.count * 8)
        switch column.type {
        case .double:
            let layout = FloatCodec.layout(for: column.doubles)
            switch layout {
            case .scaled(let decimals): bytes += [ValueLayout.scaledDecimal.rawValue, UInt8(decimals)]
            case .xor: bytes.append(ValueLayout.xor.rawValue)
            }
            FloatCodec.encode(column.doubles, layout: layout, into: &values)
        case .integer:
            bytes.append(ValueLayout.integerDelta.rawValue)
            IntegerCodec.encode(column.integers, into: &values)
        case .boolean:
            bytes.append(ValueLayout.bits.rawValue)
            for value in column.integers { values.writeBit(value != 0) }
        case .string:
            bytes.append(ValueLayout.dictionary.rawValue)
            var dictionary: [String: Int] = [:]
            var order: [String] = []
            var indices: [Int64] = []
            indices.reserveCapacity(column.count)
            for text in column.strings {
                if let known = dictionary[text] {
                    indices.append(Int64(known))
                } else {
                    dictionary[text] = order.count
                    indices.append(Int64(order.count))
                    order.append(text)
                }
            }
            ByteCoding.appendVarint(UInt64(order.count), to: &bytes)
            for text in order { ByteCoding.appendString(text, to: &bytes) }
            IntegerCodec.encode(indices, into: &values)
        }
        bytes += values.bytes
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws(TimeSeriesError) -> ColumnData {
        var cursor = ByteCursor(bytes)
        guard let type = FieldType(rawValue: try cursor.byte()) else { throw .corruptChunk("unknown field type") }
        let count = Int(clamping: try cursor.varint())
        guard count <= 1 << 26 else { throw .corruptChunk("implausible point count") }
        let timeBytes = Int(clamping: try cursor.varint())
        guard timeBytes <= bytes.count - cursor.offset else { throw .corruptChunk("timestamps run past the chunk") }
        var timeReader = BitReader(bytes, startByte: cursor.offset, endByte: cursor.offset + timeBytes)
        var column = ColumnData(type: type)
        column.timestamps = try TimestampCodec.decode(count: count, from: &timeReader)
        cursor.offset += timeBytes
        guard let layout = ValueLayout(rawValue: try cursor.byte()) else { throw .corruptChunk("unknown value layout") }
        switch (type, layout) {
        case (.double, .scaledDecimal):
            let decimals = Int(try cursor.byte())
            var reader = BitReader(bytes, startByte: cursor.offset)
            column.doubles = try FloatCodec.decode(count: count, layout: .scaled(decimals: decimals), from: &reader)
        case (.double, .xor):
            var reader = BitReader(bytes, startByte: cursor.offset)
            column.doubles = try FloatCodec.decode(count: count, layout: .xor, from: &reader)
        case (.integer, .integerDelta):
            var reader = BitReader(bytes, startByte: cursor.offset)
            column.integers = try IntegerCodec.decode(count: count, from: &reader)
        case (.boolean, .bits):
            var reader = BitReader(bytes, startByte: cursor.offset)
            column.integers.reserveCapacity(count)
            for _ in 0..<count { column.integers.append(try reader.readBit() ? 1 : 0) }
        case (.string, .dictionary):
            let distinct = Int(clamping: try cursor.varint())
            guard distinct <= count else { throw .corruptChunk("dictionary larger than the chunk") }
            var order: [String] = []
            for _ in 0..<distinct { order.append(try cursor.string()) }
            var reader = BitReader(bytes, startByte: cursor.offset)
            let indices = try IntegerCodec.decode(count: count, from: &reader)
            column.strings.reserveCapacity(count)
            for index in indices {
                guard index >= 0, index < order.count else { throw .corruptChunk("dictionary index out of range") }
                column.strings.append(order[Int(index)])
            }
        default:
            throw .corruptChunk("layout \(layout) does not fit type \(type)")
        }
        return column
    }
}
