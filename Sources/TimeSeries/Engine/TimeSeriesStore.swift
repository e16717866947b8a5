import Foundation
import Logging
import Synchronization
import TwinGuardCore

/// The time-series engine: a write-ahead log for durability, an in-memory head per column, and
/// compressed chunks in files.
///
/// Writes are synchronous and cheap (``append(_:)``); acknowledgements wait for ``whenDurable(_:_:)``
/// (group-committed `fdatasync`). Checkpoints seal the heads into a chunk file and drop the WAL
/// segments it covers; compaction merges chunk files, keeping the newest value per timestamp.
public final class TimeSeriesStore: Sendable {
    /// How the store behaves.
    public struct Options: Sendable {
        /// Where the store keeps `wal/`, `chunks/` and `catalog.tgs`.
        public var directory: String
        /// Points per head before it is sealed into a compressed chunk.
        public var sealThreshold = 1024
        /// Points per chunk written by compaction.
        public var compactedChunkPoints = 4096
        /// How long the points of a series are kept (`nil`: forever); asked at each compaction, so that
        /// tenant settings apply without a restart.
        public var retention: @Sendable (SeriesKey) -> Duration? = { _ in nil }
        /// Where retention reads the time.
        public var clock: any NanosecondClock = SystemClock()
        /// Called after every WAL sync (tests).
        public var syncHook: (@Sendable (UInt64) -> Void)?
        /// A tag whose values are indexed, so that ``TimeSeriesStore/series(tenant:tagged:)`` finds a
        /// twin's series without scanning the catalog.
        public var indexedTag = "twin"
        /// Series a tenant may have (InfluxDB's `max-series-per-database`): a flood of distinct tag sets
        /// cannot grow the catalog, and memory, without bound. Downsampling tiers count too.
        public var maximumSeriesPerTenant = 1_000_000

        public init(directory: String) {
            self.directory = directory
        }
    }

    /// A row to write: one series, one instant, one or more fields.
    public struct Row: Sendable {
        public var series: SeriesID
        public var timestamp: Int64
        public var fields: [(String, FieldValue)]

        public init(series: SeriesID, timestamp: Int64, fields: [(String, FieldValue)]) {
            self.series = series
            self.timestamp = timestamp
            self.fields = fields
        }
    }

    /// What ``append(_:)`` did: rows taken and rows refused, and the log position to wait for.
    public struct Receipt: Sendable {
        public var accepted: Int
        public var rejected: [(row: Int, error: TimeSeriesError)]
        public var position: UInt64
    }

    struct State {
        mutating func index(_ id: SeriesID, _ key: SeriesKey, tag: String) {
            self.seriesPerTenant[key.tenant, default: 0] += 1
            guard let value = key.tag(tag) else { return }
            self.seriesByTag[key.tenant, default: [:]][value, default: []].append(id)
        }

        var series: [SeriesInfo] = []
        var seriesByKey: [SeriesKey: SeriesID] = [:]
        var columns: [ColumnState] = []
        /// The column states of each series, by series id (the hot path's view of `series[…].columns`).
        var seriesColumns: [[ColumnState]] = []
        /// Series by tenant and value of the indexed tag.
        var seriesByTag: [TenantID: [String: [SeriesID]]] = [:]
        var seriesPerTenant: [TenantID: Int] = [:]
        var files: [ChunkFile] = []
        var nextFileNumber = 1
        var closed = false
        var pointsSinceCheckpoint = 0
        /// When retention last rewrote the chunk files (ns).
        var lastRetentionSweep: Int64 = 0
    }

    let options: Options
    let state: Mutex<State>
    let wal: WriteAheadLog
    let logger: Logger
    let walDirectory: String
    let chunkDirectory: String
    /// Serializes checkpoints and compactions.
    let maintenance = DispatchQueue(label: "twinguard.timeseries.maintenance")
    let acceptedPoints = Atomic<Int>(0)

    /// Opens the store, recovering from the WAL (a damaged tail is logged and skipped).
    /// - Throws: ``TimeSeriesError`` when the directory cannot be used or a chunk file is damaged.
    public init(options: Options, logger: Logger) throws(TimeSeriesError) {
        self.options = options
        self.logger = logger
        self.walDirectory = options.directory + "/wal"
        self.chunkDirectory = options.directory + "/chunks"
        for directory in [options.directory, self.walDirectory, self.chunkDirectory] {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .io("create directory", path: directory, errno: EACCES)
            }
        }
        var state = State()
        let segments = WriteAheadLog.existingSegments(directory: self.walDirectory)
        try Self.loadCatalog(into: &state, directory: options.directory, indexedTag: options.indexedTag)
        try Self.loadChunkFiles(into: &state, directory: self.chunkDirectory, logger: logger)
        let replayed = try Self.replay(
            segments: segments, into: &state, walDirectory: self.walDirectory, sealThreshold: options.sealThreshold,
            indexedTag: options.indexedTag, logger: logger)
        self.state = Mutex(state)
        self.wal = try WriteAheadLog(
            directory: self.walDirectory, segment: (segments.last ?? 0) + 1, syncHook: options.syncHook, logger: logger)
        if !segments.isEmpty {
            logger.info(
                "telemetry recovered from the write-ahead log",
                metadata: ["wal.segments": "\(segments.count)", "points.replayed": "\(replayed)"])
            try self.checkpointNow()
        }
    }

    // MARK: Catalog

    /// The id of the series with `key`, creating it (and logging its definition) when new.
    public func series(for key: SeriesKey) throws(TimeSeriesError) -> SeriesID {
        try self.state.withLock { state throws(TimeSeriesError) -> SeriesID in
            if let id = state.seriesByKey[key] { return id }
            guard !state.closed else { throw .closed }
            let limit = self.options.maximumSeriesPerTenant
            guard state.seriesPerTenant[key.tenant, default: 0] < limit else { throw .seriesLimit(limit, tenant: key.tenant) }
            let id = SeriesID(state.series.count)
            state.series.append(SeriesInfo(id: id, key: key, columns: []))
            state.seriesColumns.append([])
            state.seriesByKey[key] = id
            state.index(id, key, tag: self.options.indexedTag)
            _ = self.wal.append(WALRecord.encodeSeries(id: id, key: key))
            return id
        }
    }

    /// The series with `id`, if any.
    public func seriesInfo(_ id: SeriesID) -> SeriesInfo? {
        self.state.withLock { state in Int(id) < state.series.count ? state.series[Int(id)] : nil }
    }

    /// The series with `key`, if it exists.
    public func seriesID(for key: SeriesKey) -> SeriesID? {
        self.state.withLock { $0.seriesByKey[key] }
    }

    /// Every series of `tenant` (optionally of one measurement).
    ///
    /// Raw series unless `tier` names a downsampling tier, whose series it returns instead.
    public func allSeries(tenant: TenantID, measurement: String? = nil, tier: String? = nil) -> [SeriesInfo] {
        self.state.withLock { state in
            state.series.filter {
                $0.key.tenant == tenant && (measurement == nil || $0.key.measurement == measurement)
                    && $0.key.tag(Downsampler.tierTag) == tier
            }
        }
    }

    /// The series of `tenant` whose indexed tag (``Options/indexedTag``) is `value`, raw unless `tier`
    /// names a downsampling tier.
    public func series(tenant: TenantID, tagged value: String, tier: String? = nil) -> [SeriesInfo] {
        self.state.withLock { state in
            (state.seriesByTag[tenant]?[value] ?? []).map { state.series[Int($0)] }.filter { $0.key.tag(Downsampler.tierTag) == tier }
        }
    }

    /// Every series of every tenant.
    public func allSeriesOfAllTenants() -> [SeriesInfo] {
        self.state.withLock { $0.series.filter { !$0.key.measurement.isEmpty } }
    }

    /// The number of series in all tenants.
    public var seriesCount: Int { self.state.withLock { $0.series.count } }

    /// Points accepted since the store opened.
    public var pointsAccepted: Int { self.acceptedPoints.load(ordering: .relaxed) }

    /// WAL sync latencies (seconds) measured since the last call.
    public func takeSyncLatencies() -> [Double] { self.wal.takeSyncLatencies() }

    // MARK: Writing

    /// Stores rows in memory and queues them in the WAL. A row with a field whose type differs from the
    /// stored one is refused whole (InfluxDB's partial write). Wait for ``whenDurable(_:_:)`` before
    /// acknowledging.
    public func append(_ rows: [Row]) -> Receipt {
        var rejected: [(row: Int, error: TimeSeriesError)] = []
        let threshold = self.options.sealThreshold
        let result = self.state.withLock { state -> (Int, UInt64) in
            guard !state.closed else {
                rejected = rows.indices.map { ($0, .closed) }
                return (0, 0)
            }
            var accepted = 0
            var body = ByteSink(capacity: rows.count * 100)
            var resolved: [(ColumnState, FieldValue)] = []
            rowLoop: for (index, row) in rows.enumerated() {
                guard Int(row.series) < state.series.count else {
                    rejected.append((index, .invalidQuery("unknown series \(row.series)")))
                    continue
                }
                resolved.removeAll(keepingCapacity: true)
                var columns = state.seriesColumns[Int(row.series)]
                for (position, (field, value)) in row.fields.enumerated() {
                    var found: ColumnState?
                    if position < columns.count, columns[position].info.field == field {
                        found = columns[position]
                    } else {
                        found = columns.first { $0.info.field == field }
                    }
                    if let column = found {
                        let type = column.info.type
                        let compatible = type == value.type || (type == .double && value.type == .integer)
                        guard compatible else {
                            rejected.append(
                                (index, .fieldTypeConflict(field: field, stored: "\(type)", got: "\(value.type)")))
                            continue rowLoop
                        }
                        resolved.append((column, value))
                    } else {
                        let info = ColumnInfo(id: ColumnID(state.columns.count), field: field, type: value.type)
                        let column = ColumnState(info: info, series: row.series)
                        state.columns.append(column)
                        state.series[Int(row.series)].columns.append(info)
                        state.seriesColumns[Int(row.series)].append(column)
                        columns.append(column)
                        _ = self.wal.append(WALRecord.encodeColumn(info, series: row.series))
                        resolved.append((column, value))
                    }
                }
                body.varint(UInt64(row.series))
                body.varint(ByteCoding.zigzag(row.timestamp))
                body.varint(UInt64(resolved.count))
                for (column, value) in resolved {
                    body.varint(UInt64(column.info.id))
                    WALRecord.appendValue(value, as: column.info.type, to: &body)
                    column.append(row.timestamp, value, sealThreshold: threshold)
                }
                accepted += 1
            }
            guard accepted > 0 else { return (0, 0) }
            var payload: [UInt8] = [WALRecord.rows]
            ByteCoding.appendVarint(UInt64(accepted), to: &payload)
            payload += body.bytes()
            state.pointsSinceCheckpoint += accepted
            return (accepted, self.wal.append(payload))
        }
        self.acceptedPoints.add(result.0, ordering: .relaxed)
        return Receipt(accepted: result.0, rejected: rejected, position: result.1)
    }

    /// Calls `completion` once the rows of `receipt` are on stable storage; on the WAL thread, or at
    /// once when they already are.
    public func whenDurable(_ receipt: Receipt, _ completion: @escaping @Sendable (Result<Void, TimeSeriesError>) -> Void) {
        guard receipt.position > 0 else {
            completion(.success(()))
            return
        }
        self.wal.whenDurable(receipt.position, completion)
    }

    /// Waits until the rows of `receipt` are on stable storage.
    public func waitUntilDurable(_ receipt: Receipt) async throws(TimeSeriesError) {
        let result = await withCheckedContinuation { continuation in
            self.whenDurable(receipt) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    /// Points written since the last checkpoint.
    public var pointsSinceCheckpoint: Int { self.state.withLock { $0.pointsSinceCheckpoint } }
}
