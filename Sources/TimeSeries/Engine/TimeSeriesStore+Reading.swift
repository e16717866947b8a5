import Synchronization
import TwinGuardCore

extension TimeSeriesStore {
    /// The points of a column with `from <= time < to`, in time order, newest value per timestamp.
    /// - Throws: ``TimeSeriesError`` when a chunk file is damaged.
    public func read(column id: ColumnID, from: Int64 = .min, to: Int64 = .max) throws(TimeSeriesError) -> ColumnData {
        let snapshot = self.state.withLock { state -> (FieldType, [StoredChunk], [SealedChunk], ColumnData)? in
            guard Int(id) < state.columns.count else { return nil }
            let column = state.columns[Int(id)]
            let stored = column.stored.filter { $0.maxTime >= from && $0.minTime < to }
            let frozen = column.frozen.filter { $0.maxTime >= from && $0.minTime < to }
            return (column.info.type, stored, frozen, column.head)
        }
        guard let (type, stored, frozen, head) = snapshot else { return ColumnData(type: .double) }
        var parts: [ColumnData] = []
        parts.reserveCapacity(stored.count + frozen.count + 1)
        for chunk in stored.sorted(by: { $0.file.number < $1.file.number }) {
            parts.append(try chunk.load().slice(from: from, to: to))
        }
        for chunk in frozen { parts.append(try chunk.load().slice(from: from, to: to)) }
        var current = head
        current.normalize()
        parts.append(current.slice(from: from, to: to))
        return ColumnData.merge(parts, type: type)
    }

    /// The newest point of a column: from memory, or (after a restart) from its newest chunk, once.
    public func last(column id: ColumnID) -> (timestamp: Int64, value: FieldValue)? {
        var newest = Int64.min
        let known = self.state.withLock { state -> (Int64, FieldValue)?? in
            guard Int(id) < state.columns.count else { return .some(nil) }
            let column = state.columns[Int(id)]
            if let value = column.lastValue { return .some((column.lastTimestamp, value)) }
            newest = max(column.stored.map(\.maxTime).max() ?? .min, column.frozen.map(\.maxTime).max() ?? .min)
            return newest == .min ? .some(nil) : nil
        }
        if let known { return known }
        // Only the chunks holding the newest instant are decoded.
        guard let data = try? self.read(column: id, from: newest), let time = data.timestamps.last else { return nil }
        let value = data.value(at: data.count - 1)
        self.state.withLock { state in
            let column = state.columns[Int(id)]
            if column.lastValue == nil || time >= column.lastTimestamp {
                column.lastTimestamp = time
                column.lastValue = value
            }
        }
        return (time, value)
    }

    /// The column of `field` in series `series`, if it exists.
    public func column(series: SeriesID, field: String) -> ColumnInfo? {
        self.seriesInfo(series)?.columns.first { $0.field == field }
    }
}
