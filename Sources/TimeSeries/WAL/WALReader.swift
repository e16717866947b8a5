import Foundation

/// Reads a WAL segment back for recovery, stopping at the first torn or corrupt record.
struct WALReader {
    /// What a segment held.
    struct Segment {
        var payloads: [[UInt8]]
        /// Bytes of intact records from the start.
        var validLength: Int
        /// Why reading stopped early, when it did.
        var damage: String?
    }

    static func read(path: String) throws(TimeSeriesError) -> Segment {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io("read", path: path, errno: errno)
        }
        let bytes = [UInt8](data)
        var segment = Segment(payloads: [], validLength: 0, damage: nil)
        var cursor = ByteCursor(bytes)
        while !cursor.isAtEnd {
            let start = cursor.offset
            guard bytes.count - start >= 8, let length = try? cursor.fixed32(), let crc = try? cursor.fixed32() else {
                segment.damage = "torn record header at byte \(start)"
                break
            }
            guard Int(length) <= bytes.count - cursor.offset else {
                segment.damage = "torn record at byte \(start) (\(length) bytes announced, \(bytes.count - cursor.offset) present)"
                break
            }
            let payload = Array(bytes[cursor.offset..<cursor.offset + Int(length)])
            guard CRC32C.checksum(payload) == crc else {
                segment.damage = "checksum mismatch in the record at byte \(start)"
                break
            }
            cursor.offset += Int(length)
            segment.payloads.append(payload)
            segment.validLength = cursor.offset
        }
        return segment
    }
}
