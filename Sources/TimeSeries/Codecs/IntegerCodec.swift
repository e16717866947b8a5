/// Integers as deltas, zig-zag mapped and bit-packed in blocks of 128 with one width per block:
/// a constant run costs six bits per block, a slow random walk a few bits per value.
enum IntegerCodec {
    static let blockSize = 128

    static func encode(_ values: [Int64], into writer: inout BitWriter) {
        guard let first = values.first else { return }
        writer.write(UInt64(bitPattern: first), bits: 64)
        var deltas = [UInt64]()
        deltas.reserveCapacity(values.count)
        var index = 1
        while index < values.count {
            deltas.append(ByteCoding.zigzag(values[index] &- values[index - 1]))
            index += 1
        }
        var start = 0
        while start < deltas.count {
            let end = min(start + Self.blockSize, deltas.count)
            var combined: UInt64 = 0
            for position in start..<end { combined |= deltas[position] }
            let width = 64 - combined.leadingZeroBitCount
            writer.write(UInt64(width), bits: 7)
            if width > 0 {
                for position in start..<end { writer.write(deltas[position], bits: width) }
            }
            start = end
        }
    }

    static func decode(count: Int, from reader: inout BitReader) throws(TimeSeriesError) -> [Int64] {
        guard count > 0 else { return [] }
        var result = [Int64]()
        result.reserveCapacity(count)
        var current = Int64(bitPattern: try reader.read(bits: 64))
        result.append(current)
        while result.count < count {
            let width = Int(try reader.read(bits: 7))
            guard width <= 64 else { throw .corruptChunk("bit width \(width) out of range") }
            let blockEnd = min(result.count + Self.blockSize, count)
            while result.count < blockEnd {
                if width > 0 { current &+= ByteCoding.unzigzag(try reader.read(bits: width)) }
                result.append(current)
            }
        }
        return result
    }
}
