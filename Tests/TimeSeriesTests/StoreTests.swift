import Foundation
import Logging
import Synchronization
import Testing
import TwinGuardCore

@testable import TimeSeries

@Suite("Time-series store: durability, recovery, replacement")
struct StoreTests {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "tg-ts-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let key = SeriesKey(tenant: .default, measurement: "machine", tags: [Tag("twin", "cnc-1")])

    static func open(_ directory: String, syncHook: (@Sendable (UInt64) -> Void)? = nil) throws -> TimeSeriesStore {
        var options = TimeSeriesStore.Options(directory: directory)
        options.sealThreshold = 100
        options.syncHook = syncHook
        return try TimeSeriesStore(options: options, logger: Logger(label: "test"))
    }

    @Test("every append is synced before it is reported durable")
    func syncBeforeAcknowledgement() async throws {
        let synced = Atomic<UInt64>(0)
        let store = try Self.open(Self.temporaryDirectory()) { position in
            synced.store(position, ordering: .sequentiallyConsistent)
        }
        let series = try store.series(for: Self.key)
        for index in 0..<200 {
            let receipt = store.append([.init(series: series, timestamp: Int64(index), fields: [("t", .double(Double(index)))])])
            try await store.waitUntilDurable(receipt)
            // The acknowledgement may only come after a sync that covered this record.
            let durable = synced.load(ordering: .sequentiallyConsistent)
            #expect(durable >= receipt.position)
        }
        try await store.close()
    }

    @Test("a sync that never finishes holds the acknowledgement back")
    func stalledSyncHoldsAck() async throws {
        let gate = Mutex<Bool>(false)
        let store = try Self.open(Self.temporaryDirectory()) { _ in
            while !gate.withLock({ $0 }) { usleep(1000) }
        }
        let series = try store.series(for: Self.key)
        let acknowledged = Atomic<Bool>(false)
        let receipt = store.append([.init(series: series, timestamp: 1, fields: [("t", .double(1))])])
        store.whenDurable(receipt) { _ in acknowledged.store(true, ordering: .sequentiallyConsistent) }
        try await Task.sleep(for: .milliseconds(200))
        let early = acknowledged.load(ordering: .sequentiallyConsistent)
        #expect(!early)
        gate.withLock { $0 = true }
        try await store.waitUntilDurable(receipt)
        let late = acknowledged.load(ordering: .sequentiallyConsistent)
        #expect(late)
        try await store.close()
    }

    @Test("points survive a crash (no close) through WAL replay, and a torn tail is skipped")
    func replayAndTornTail() async throws {
        let directory = Self.temporaryDirectory()
        do {
            let store = try Self.open(directory)
            let series = try store.series(for: Self.key)
            for index in 0..<250 {
                let receipt = store.append([
                    .init(series: series, timestamp: Int64(index), fields: [("t", .double(Double(index) / 4)), ("n", .integer(Int64(index)))])
                ])
                try await store.waitUntilDurable(receipt)
            }
            // No close: as after SIGKILL. Then damage the tail as a torn write would.
            store.wal.shutdown()
        }
        let segment = WriteAheadLog.existingSegments(directory: directory + "/wal").last!
        let path = WriteAheadLog.segmentPath(directory: directory + "/wal", number: segment)
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data([0x40, 0, 0, 0, 1, 2, 3, 4, 9, 9]))
        handle.closeFile()

        let reopened = try Self.open(directory)
        let series = try #require(reopened.seriesID(for: Self.key))
        // The twin index is rebuilt from the replayed WAL.
        #expect(reopened.series(tenant: .default, tagged: "cnc-1").map(\.id) == [series])
        let column = try #require(reopened.column(series: series, field: "t"))
        let data = try reopened.read(column: column.id)
        #expect(data.timestamps == (0..<250).map(Int64.init))
        #expect(data.doubles == (0..<250).map { Double($0) / 4 })
        try await reopened.close()
    }

    @Test("a point written again replaces the earlier one, also across checkpoints and compaction")
    func replacement() async throws {
        let directory = Self.temporaryDirectory()
        let store = try Self.open(directory)
        let series = try store.series(for: Self.key)
        for round in 0..<3 {
            let rows = (0..<300).map {
                TimeSeriesStore.Row(series: series, timestamp: Int64($0) * 10, fields: [("t", .double(Double(round * 1000 + $0)))])
            }
            try await store.waitUntilDurable(store.append(rows))
            try await store.checkpoint()
        }
        let column = try #require(store.column(series: series, field: "t"))
        #expect(try store.read(column: column.id).doubles == (0..<300).map { Double(2000 + $0) })
        try await store.close()
        let reopened = try Self.open(directory)
        // …and from the catalog after a clean close.
        #expect(reopened.series(tenant: .default, tagged: "cnc-1").map(\.id) == [series])
        #expect(reopened.series(tenant: .default, tagged: "other").isEmpty)
        let data = try reopened.read(column: column.id, from: 100, to: 200)
        #expect(data.timestamps == (10..<20).map { Int64($0) * 10 })
        #expect(data.doubles == (10..<20).map { Double(2000 + $0) })
        #expect(ChunkFile.existing(directory: directory + "/chunks").count == 1)
        try await reopened.close()
    }

    @Test("a field keeps its first type; a conflicting point is refused whole")
    func typeConflict() async throws {
        let store = try Self.open(Self.temporaryDirectory())
        let series = try store.series(for: Self.key)
        _ = store.append([.init(series: series, timestamp: 1, fields: [("t", .double(1))])])
        let receipt = store.append([
            .init(series: series, timestamp: 2, fields: [("t", .string("hot"))]),
            .init(series: series, timestamp: 3, fields: [("t", .integer(3))]),
        ])
        #expect(receipt.accepted == 1)
        #expect(receipt.rejected.map(\.row) == [0])
        #expect(receipt.rejected.first?.error.code == .fieldTypeConflict)
        try await store.close()
    }

    @Test("bucketed aggregates match a naive reference")
    func aggregatesMatchReference() throws {
        var column = ColumnData(type: .double)
        var generator = SystemRandomNumberGenerator()
        var time: Int64 = 0
        for _ in 0..<2000 {
            time += Int64.random(in: 1...5000, using: &generator)
            column.append(time, .double(Double.random(in: -100...100, using: &generator)))
        }
        let every: Int64 = 60_000
        for function in [Aggregate.count, .min, .max, .mean, .sum, .first, .last, .stddev, .percentile(90)] {
            let buckets = Aggregation.run(function, over: column, from: 0, to: time + 1, every: every)
            for bucket in buckets {
                let values = zip(column.timestamps, column.doubles).filter { $0.0 >= bucket.start && $0.0 < bucket.start + every }.map(\.1)
                let expected: Double?
                switch function {
                case .count: expected = values.isEmpty ? nil : Double(values.count)
                case .min: expected = values.min()
                case .max: expected = values.max()
                case .sum: expected = values.isEmpty ? nil : values.reduce(0, +)
                case .mean: expected = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
                case .first: expected = values.first
                case .last: expected = values.last
                case .stddev:
                    if values.count < 2 { expected = nil } else {
                        let mean = values.reduce(0, +) / Double(values.count)
                        expected = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
                    }
                case .percentile:
                    let sorted = values.sorted()
                    let rank = Int((Double(sorted.count) * 0.9 + 0.5).rounded(.down)) - 1
                    expected = rank >= 0 ? sorted[min(rank, sorted.count - 1)] : nil
                default: expected = nil
                }
                let got = bucket.value?.numeric
                if let expected, let got {
                    #expect(abs(expected - got) <= 1e-9 * max(1, abs(expected)), "\(function) at \(bucket.start)")
                } else {
                    #expect(expected == nil && got == nil, "\(function) at \(bucket.start)")
                }
            }
        }
    }
}

@Suite("Downsampling")
struct DownsamplingTests {
    @Test("complete buckets become mean, min, max and count once; the tier's newest point is the watermark")
    func downsample() async throws {
        let store = try StoreTests.open(StoreTests.temporaryDirectory())
        let series = try store.series(for: StoreTests.key)
        let minute: Int64 = 60_000_000_000
        // 3 minutes of points every 10 s: values 0, 1, 2, …
        let rows = (0..<18).map { TimeSeriesStore.Row(series: series, timestamp: Int64($0) * 10_000_000_000, fields: [("t", .double(Double($0))), ("n", .string("x"))]) }
        _ = store.append(rows)
        let tier = DownsampleTier(name: "1m", every: minute, retention: nil)
        // At 2m30s only the first two minutes are complete.
        #expect(try Downsampler.run(store: store, tiers: { _ in [tier] }, now: 2 * minute + 30_000_000_000) == 2)
        #expect(try Downsampler.run(store: store, tiers: { _ in [tier] }, now: 2 * minute + 40_000_000_000) == 0)
        #expect(try Downsampler.run(store: store, tiers: { _ in [tier] }, now: 3 * minute) == 1)
        let tierSeries = try #require(store.allSeries(tenant: .default, tier: "1m").first)
        #expect(store.allSeries(tenant: .default).map(\.id) == [series])
        let mean = try store.read(column: try #require(store.column(series: tierSeries.id, field: "t")).id)
        #expect(mean.timestamps == [0, minute, 2 * minute])
        #expect(mean.doubles == [2.5, 8.5, 14.5])
        let maximum = try store.read(column: try #require(store.column(series: tierSeries.id, field: "t_max")).id)
        #expect(maximum.doubles == [5, 11, 17])
        let count = try store.read(column: try #require(store.column(series: tierSeries.id, field: "t_count")).id)
        #expect(count.integers == [6, 6, 6])
        #expect(store.column(series: tierSeries.id, field: "n") == nil)
        try await store.close()
    }

    @Test("tier lists parse", arguments: [("1m:90d,1h", 2), ("5m", 1), ("1m:forever", 1), ("", 0)])
    func parse(text: String, count: Int) throws {
        #expect(try #require(DownsampleTier.parseList(text)).count == count)
    }

    @Test("bad tier lists are refused", arguments: ["1x", "0m", "1m:90", "1m:2d:3d", "m"])
    func refuse(text: String) {
        #expect(DownsampleTier.parseList(text) == nil)
    }

    @Test("retention drops what is older than the window at the store's clock, and keeps the rest")
    func retentionFollowsTheClock() async throws {
        let minute: Int64 = 60_000_000_000
        let start: Int64 = 1_700_000_000_000_000_000
        let clock = ManualClock(at: start + 120 * minute)
        var options = TimeSeriesStore.Options(directory: StoreTests.temporaryDirectory())
        options.retention = { _ -> Duration? in .seconds(3_600) }
        options.clock = clock
        let store = try TimeSeriesStore(options: options, logger: Logger(label: "test"))
        let series = try store.series(for: StoreTests.key)
        let rows = (0..<120).map { TimeSeriesStore.Row(series: series, timestamp: start + Int64($0) * minute, fields: [("t", .double(Double($0)))]) }
        try await store.waitUntilDurable(store.append(rows))
        try await store.checkpoint()
        try await store.compact()
        let column = try #require(store.column(series: series, field: "t"))
        #expect(try store.read(column: column.id).doubles == (60..<120).map(Double.init))
        clock.advance(by: .seconds(30 * 60))
        try await store.compact()
        #expect(try store.read(column: column.id).doubles == (90..<120).map(Double.init))
        try await store.close()
    }
}
