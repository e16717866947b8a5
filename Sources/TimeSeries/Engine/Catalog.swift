import TwinGuardCore

/// The series and columns of a store, saved as `catalog.tgs` at every checkpoint
/// (`"TGS1" [payload length u32][crc u32] payload`), the WAL holding what came after.
enum CatalogFile {
    static let magic: [UInt8] = Array("TGS1".utf8)

    static func encode(_ series: [SeriesInfo]) -> [UInt8] {
        var payload: [UInt8] = []
        ByteCoding.appendVarint(UInt64(series.count), to: &payload)
        for info in series {
            payload += WALRecord.encodeSeries(id: info.id, key: info.key).dropFirst()
            ByteCoding.appendVarint(UInt64(info.columns.count), to: &payload)
            for column in info.columns {
                ByteCoding.appendVarint(UInt64(column.id), to: &payload)
                ByteCoding.appendString(column.field, to: &payload)
                payload.append(column.type.rawValue)
            }
        }
        var bytes = Self.magic
        ByteCoding.appendFixed32(UInt32(payload.count), to: &bytes)
        ByteCoding.appendFixed32(CRC32C.checksum(payload), to: &bytes)
        return bytes + payload
    }

    static func decode(_ bytes: [UInt8]) throws(TimeSeriesError) -> [SeriesInfo] {
        guard bytes.count >= 12, Array(bytes[0..<4]) == Self.magic else { throw .corruptChunk("catalog header") }
        var header = ByteCursor(bytes, offset: 4)
        let length = Int(try header.fixed32())
        let crc = try header.fixed32()
        guard length == bytes.count - 12, CRC32C.checksum(bytes[12...]) == crc else {
            throw .corruptChunk("catalog checksum mismatch")
        }
        var cursor = ByteCursor(bytes, offset: 12)
        let count = Int(clamping: try cursor.varint())
        var result: [SeriesInfo] = []
        for _ in 0..<count {
            let id = SeriesID(truncatingIfNeeded: try cursor.varint())
            let tenant = TenantID(unchecked: try cursor.string())
            let measurement = try cursor.string()
            let tagCount = Int(clamping: try cursor.varint())
            guard tagCount <= 1024 else { throw .corruptChunk("too many tags in the catalog") }
            var tags: [Tag] = []
            for _ in 0..<tagCount { tags.append(Tag(try cursor.string(), try cursor.string())) }
            let columnCount = Int(clamping: try cursor.varint())
            guard columnCount <= 1 << 16 else { throw .corruptChunk("too many columns in the catalog") }
            var columns: [ColumnInfo] = []
            for _ in 0..<columnCount {
                let columnID = ColumnID(truncatingIfNeeded: try cursor.varint())
                let field = try cursor.string()
                guard let type = FieldType(rawValue: try cursor.byte()) else { throw .corruptChunk("catalog field type") }
                columns.append(ColumnInfo(id: columnID, field: field, type: type))
            }
            result.append(
                SeriesInfo(id: id, key: SeriesKey(tenant: tenant, measurement: measurement, tags: tags), columns: columns))
        }
        return result
    }
}
