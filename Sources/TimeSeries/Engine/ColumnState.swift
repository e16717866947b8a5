import TwinGuardCore

/// The live state of one column: the unsealed head, chunks sealed since the last checkpoint, and
/// chunks in files.
final class ColumnState: @unchecked Sendable {
    // Sendable: mutated only while holding the store's state lock.
    let info: ColumnInfo
    let series: SeriesID
    var head: ColumnData
    var frozen: [SealedChunk] = []
    var stored: [StoredChunk] = []
    /// The newest point, for "last value" reads without decoding chunks.
    var lastTimestamp: Int64 = .min
    var lastValue: FieldValue?

    init(info: ColumnInfo, series: SeriesID) {
        self.info = info
        self.series = series
        self.head = ColumnData(type: info.type)
    }

    /// Appends a point; seals the head into a compressed chunk once it holds `sealThreshold` points.
    @inline(__always) func append(_ timestamp: Int64, _ value: FieldValue, sealThreshold: Int) {
        self.head.append(timestamp, value)
        if timestamp >= self.lastTimestamp {
            self.lastTimestamp = timestamp
            self.lastValue = value
        }
        if self.head.count >= sealThreshold { self.seal() }
    }

    /// Appends a replayed value in its raw form.
    func append(_ timestamp: Int64, raw: WALRecord.RawValue, sealThreshold: Int) {
        let value: FieldValue
        switch (self.info.type, raw) {
        case (.double, .bits(let bits)): value = .double(Double(bitPattern: bits))
        case (.integer, .integer(let number)): value = .integer(number)
        case (.boolean, .integer(let number)): value = .boolean(number != 0)
        case (.string, .text(let text)): value = .string(text)
        default: return
        }
        self.append(timestamp, value, sealThreshold: sealThreshold)
    }

    func seal() {
        guard !self.head.isEmpty else { return }
        self.head.normalize()
        self.frozen.append(SealedChunk(self.head))
        self.head = ColumnData(type: self.info.type)
        self.head.timestamps.reserveCapacity(64)
    }
}
