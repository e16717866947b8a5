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

    /// The newest point of a column, without decoding chunks.
    public func last(column id: ColumnID) -> (timestamp: Int64, value: FieldValue)? {
        self.state.withLock { state in
            guard Int(id) < state.columns.count, let value = state.columns[Int(id)].lastValue else { return nil }
            return (state.columns[Int(id)].lastTimestamp, value)
        }
    }

    /// The column of `field` in series `series`, if it exists.
    public func column(series: SeriesID, field: String) -> ColumnInfo? {
        self.seriesInfo(series)?.columns.first { $0.field == field }
    }
}
