import TwinGuardCore

/// The records of the write-ahead log. Each is framed as `[length u32][crc32c u32][payload]`.
enum WALRecord {
    static let defineSeries: UInt8 = 1
    static let defineColumn: UInt8 = 2
    static let rows: UInt8 = 3

    /// A decoded record, for replay.
    enum Decoded {
        case series(id: SeriesID, key: SeriesKey)
        case column(id: ColumnID, series: SeriesID, field: String, type: FieldType)
        case rows([ReplayedRow])
    }

    struct ReplayedRow {
        var series: SeriesID
        var timestamp: Int64
        var values: [(ColumnID, RawValue)]
    }

    /// A value whose type comes from its column (the log does not repeat it).
    enum RawValue {
        case bits(UInt64)
        case integer(Int64)
        case text(String)
    }

    static func encodeSeries(id: SeriesID, key: SeriesKey) -> [UInt8] {
        var bytes: [UInt8] = [Self.defineSeries]
        ByteCoding.appendVarint(UInt64(id), to: &bytes)
        ByteCoding.appendString(key.tenant.rawValue, to: &bytes)
        ByteCoding.appendString(key.measurement, to: &bytes)
        ByteCoding.appendVarint(UInt64(key.tags.count), to: &bytes)
        for tag in key.tags {
            ByteCoding.appendString(tag.key, to: &bytes)
            ByteCoding.appendString(tag.value, to: &bytes)
        }
        return bytes
    }

    static func encodeColumn(_ column: ColumnInfo, series: SeriesID) -> [UInt8] {
        var bytes: [UInt8] = [Self.defineColumn]
        ByteCoding.appendVarint(UInt64(column.id), to: &bytes)
        ByteCoding.appendVarint(UInt64(series), to: &bytes)
        ByteCoding.appendString(column.field, to: &bytes)
        bytes.append(column.type.rawValue)
        return bytes
    }

    /// Appends one value in the compact form its column type implies (the log does not repeat the type).
    @inline(__always) static func appendValue(_ value: FieldValue, as type: FieldType, to sink: inout ByteSink) {
        switch (type, value) {
        case (.double, .double(let number)): sink.fixed64(number.bitPattern)
        case (.double, .integer(let number)): sink.fixed64(Double(number).bitPattern)
        case (.integer, .integer(let number)): sink.varint(ByteCoding.zigzag(number))
        case (.boolean, .boolean(let flag)): sink.byte(flag ? 1 : 0)
        case (.string, .string(let text)): sink.string(text)
        default: preconditionFailure("value does not match its column type")
        }
    }

    static func decode(_ payload: [UInt8], columnType: (ColumnID) -> FieldType?) throws(TimeSeriesError) -> Decoded {
        var cursor = ByteCursor(payload)
        switch try cursor.byte() {
        case Self.defineSeries:
            let id = SeriesID(truncatingIfNeeded: try cursor.varint())
            let tenant = TenantID(unchecked: try cursor.string())
            let measurement = try cursor.string()
            let count = Int(clamping: try cursor.varint())
            guard count <= 1024 else { throw .corruptChunk("too many tags") }
            var tags: [Tag] = []
            for _ in 0..<count { tags.append(Tag(try cursor.string(), try cursor.string())) }
            return .series(id: id, key: SeriesKey(tenant: tenant, measurement: measurement, tags: tags))
        case Self.defineColumn:
            let id = ColumnID(truncatingIfNeeded: try cursor.varint())
            let series = SeriesID(truncatingIfNeeded: try cursor.varint())
            let field = try cursor.string()
            guard let type = FieldType(rawValue: try cursor.byte()) else { throw .corruptChunk("unknown field type") }
            return .column(id: id, series: series, field: field, type: type)
        case Self.rows:
            let count = Int(clamping: try cursor.varint())
            var rows: [ReplayedRow] = []
            rows.reserveCapacity(min(count, 1 << 16))
            for _ in 0..<count {
                let series = SeriesID(truncatingIfNeeded: try cursor.varint())
                let timestamp = ByteCoding.unzigzag(try cursor.varint())
                let fieldCount = Int(clamping: try cursor.varint())
                var values: [(ColumnID, RawValue)] = []
                for _ in 0..<fieldCount {
                    let column = ColumnID(truncatingIfNeeded: try cursor.varint())
                    guard let type = columnType(column) else { throw .corruptChunk("row names unknown column \(column)") }
                    switch type {
                    case .double: values.append((column, .bits(try cursor.fixed64())))
                    case .integer: values.append((column, .integer(ByteCoding.unzigzag(try cursor.varint()))))
                    case .boolean: values.append((column, .integer(Int64(try cursor.byte()))))
                    case .string: values.append((column, .text(try cursor.string())))
                    }
                }
                rows.append(ReplayedRow(series: series, timestamp: timestamp, values: values))
            }
            return .rows(rows)
        case let kind:
            throw .corruptChunk("unknown WAL record kind \(kind)")
        }
    }
}
