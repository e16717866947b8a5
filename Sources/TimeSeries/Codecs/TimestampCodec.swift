/// Delta-of-delta timestamp compression (Gorilla, §4.1.1): regular intervals cost one bit a point.
enum TimestampCodec {
    static func encode(_ timestamps: [Int64], into writer: inout BitWriter) {
        guard let first = timestamps.first else { return }
        writer.write(UInt64(bitPattern: first), bits: 64)
        guard timestamps.count > 1 else { return }
        var previousDelta = timestamps[1] &- first
        writer.write(ByteCoding.zigzag(previousDelta), bits: 64)
        var index = 2
        while index < timestamps.count {
            let delta = timestamps[index] &- timestamps[index - 1]
            let zigzag = ByteCoding.zigzag(delta &- previousDelta)
            previousDelta = delta
            if zigzag == 0 {
                writer.write(0, bits: 1)
            } else if zigzag < 1 << 7 {
                writer.write(0b10, bits: 2)
                writer.write(zigzag, bits: 7)
            } else if zigzag < 1 << 12 {
                writer.write(0b110, bits: 3)
                writer.write(zigzag, bits: 12)
            } else if zigzag < 1 << 20 {
                writer.write(0b1110, bits: 4)
                writer.write(zigzag, bits: 20)
            } else {
                writer.write(0b1111, bits: 4)
                writer.write(zigzag, bits: 64)
            }
            index += 1
        }
    }

    static func decode(count: Int, from reader: inout BitReader) throws(TimeSeriesError) -> [Int64] {
        guard count > 0 else { return [] }
        var result = [Int64]()
        result.reserveCapacity(count)
        var current = Int64(bitPattern: try reader.read(bits: 64))
        result.append(current)
        guard count > 1 else { return result }
        var delta = ByteCoding.unzigzag(try reader.read(bits: 64))
        current &+= delta
        result.append(current)
        while result.count < count {
            var width = 0
            if try reader.readBit() {
                if try !reader.readBit() {
                    width = 7
                } else if try !reader.readBit() {
                    width = 12
                } else if try !reader.readBit() {
                    width = 20
                } else {
                    width = 64
                }
            }
            if width > 0 { delta &+= ByteCoding.unzigzag(try reader.read(bits: width)) }
            current &+= delta
            result.append(current)
        }
        return result
    }
}
