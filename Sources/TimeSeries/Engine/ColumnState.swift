import TwinGuardCore

/// The live state of one column: the unsealed head, chunks sealed since the last checkpoint, and
/// chunks in files.
final class ColumnState: @unchecked Sendable {
    // Sendable: mutated only while holding the store's state lock.
    let info: ColumnInfo
    let series: SeriesID
    // The head lives in raw buffers: appending a point is two stores, without the uniqueness and
    // exclusivity checks an array in a class pays on every append (a quarter of ingest CPU in profiles).
    private var times: UnsafeMutablePointer<Int64>
    /// Doubles as bit patterns; integers and booleans as they are.
    private var bits: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private var count = 0
    private var strings: [String] = []
    var frozen: [SealedChunk] = []
    var stored: [StoredChunk] = []
    /// The newest point, for "last value" reads without decoding chunks.
    var lastTimestamp: Int64 = .min
    var lastValue: FieldValue?

    init(info: ColumnInfo, series: SeriesID) {
        self.info = info
        self.series = series
        self.capacity = 16
        self.times = .allocate(capacity: 16)
        self.bits = .allocate(capacity: 16)
    }

    deinit {
        self.times.deallocate()
        self.bits.deallocate()
    }

    /// The unsealed points (unsorted; readers normalize their copy).
    var head: ColumnData {
        var data = ColumnData(type: self.info.type)
        data.timestamps = Array(UnsafeBufferPointer(start: self.times, count: self.count))
        let values = UnsafeBufferPointer(start: self.bits, count: self.count)
        switch self.info.type {
        case .double: data.doubles = values.map { Double(bitPattern: $0) }
        case .integer, .boolean: data.integers = values.map { Int64(bitPattern: $0) }
        case .string: data.strings = self.strings
        }
        return data
    }

    private func grow() {
        let capacity = self.capacity * 2
        let times = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)
        times.moveInitialize(from: self.times, count: self.count)
        self.times.deallocate()
        self.times = times
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        bits.moveInitialize(from: self.bits, count: self.count)
        self.bits.deallocate()
        self.bits = bits
        self.capacity = capacity
    }

    /// Appends a point; seals the head into a compressed chunk once it holds `sealThreshold` points.
    @inline(__always) func append(_ timestamp: Int64, _ value: FieldValue, sealThreshold: Int) {
        if self.count == self.capacity { self.grow() }
        self.times[self.count] = timestamp
        switch value {
        case .double(let number): self.bits[self.count] = number.bitPattern
        case .integer(let number):
            self.bits[self.count] = self.info.type == .double ? Double(number).bitPattern : UInt64(bitPattern: number)
        case .boolean(let flag): self.bits[self.count] = flag ? 1 : 0
        case .string(let text):
            self.bits[self.count] = 0
            self.strings.append(text)
        }
        self.count += 1
        if timestamp >= self.lastTimestamp {
            self.lastTimestamp = timestamp
            self.lastValue = value
        }
        if self.count >= sealThreshold { self.seal() }
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

    /// Moves the head into a sealed chunk, compressed now or (`compress: false`, for checkpoints that
    /// compress outside the lock) later.
    func seal(compress: Bool = true) {
        guard self.count > 0 else { return }
        var data = self.head
        data.normalize()
        self.frozen.append(compress ? SealedChunk(data) : SealedChunk(raw: data))
        self.count = 0
        self.strings = []
    }
}
