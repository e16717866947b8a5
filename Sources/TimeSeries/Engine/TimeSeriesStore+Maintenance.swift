import Foundation
import Logging
import Synchronization
import TwinGuardCore

extension TimeSeriesStore {
    /// Seals every head into a new chunk file, saves the catalog and deletes the WAL segments covered.
    public func checkpoint() async throws(TimeSeriesError) {
        try await self.onMaintenanceQueue { () throws(TimeSeriesError) in try self.checkpointNow() }
    }

    /// Merges all chunk files into one: newest value per timestamp, retention applied.
    public func compact() async throws(TimeSeriesError) {
        try await self.onMaintenanceQueue { () throws(TimeSeriesError) in try self.compactNow(force: true) }
    }

    /// Compacts when it pays (overlapping files, more than eight files, points past their retention).
    public func compactIfNeeded() async throws(TimeSeriesError) {
        try await self.onMaintenanceQueue { () throws(TimeSeriesError) in try self.compactNow(force: false) }
    }

    /// Checkpoints, compacts when the files overlap or are many (bounded in size so shutdown stays
    /// quick), and stops the WAL. Later writes are refused.
    public func close() async throws(TimeSeriesError) {
        try await self.onMaintenanceQueue { () throws(TimeSeriesError) in
            // Refuse writes first: nothing may reach the WAL segment that is deleted below.
            self.state.withLock { $0.closed = true }
            try self.checkpointNow()
            try self.compactNow(force: false)
            self.wal.shutdown()
            // The segment opened last holds nothing once everything is in chunk files.
            for number in WriteAheadLog.existingSegments(directory: self.walDirectory) {
                try? FileManager.default.removeItem(atPath: WriteAheadLog.segmentPath(directory: self.walDirectory, number: number))
            }
        }
    }

    /// The bytes of all chunk files.
    public var storedBytes: UInt64 { self.state.withLock { $0.files.reduce(0) { $0 + $1.size } } }

    private func onMaintenanceQueue(_ work: @escaping @Sendable () throws(TimeSeriesError) -> Void) async throws(TimeSeriesError) {
        let result: Result<Void, TimeSeriesError> = await withCheckedContinuation { continuation in
            self.maintenance.async {
                do throws(TimeSeriesError) {
                    try work()
                    continuation.resume(returning: .success(()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        try result.get()
    }

    func checkpointNow() throws(TimeSeriesError) {
        let snapshot = try self.state.withLock { state throws(TimeSeriesError) -> (Int, [(ColumnID, SealedChunk)], [Int], [SeriesInfo], Int) in
            let newSegment = try self.wal.rotate()
            var chunks: [(ColumnID, SealedChunk)] = []
            var frozenCounts: [Int] = []
            frozenCounts.reserveCapacity(state.columns.count)
            for column in state.columns {
                // Only a copy under the lock; compression happens below, outside it.
                column.seal(compress: false)
                frozenCounts.append(column.frozen.count)
                for chunk in column.frozen { chunks.append((column.info.id, chunk)) }
            }
            let number = state.nextFileNumber
            if !chunks.isEmpty { state.nextFileNumber += 1 }
            state.pointsSinceCheckpoint = 0
            return (newSegment, chunks, frozenCounts, state.series, number)
        }
        let (newSegment, taken, frozenCounts, series, number) = snapshot
        let chunks = taken.map { ($0.0, $0.1.encoded()) }
        try FileSync.writeAtomically(CatalogFile.encode(series), to: self.options.directory + "/catalog.tgs")
        if !chunks.isEmpty {
            let (file, stored) = try ChunkFile.write(directory: self.chunkDirectory, number: number, chunks: chunks)
            self.state.withLock { state in
                state.files.append(file)
                var byColumn: [ColumnID: [StoredChunk]] = [:]
                for chunk in stored { byColumn[chunk.column, default: []].append(chunk) }
                for (id, count) in frozenCounts.enumerated() where count > 0 {
                    let column = state.columns[id]
                    column.frozen.removeFirst(count)
                    column.stored += byColumn[ColumnID(id)] ?? []
                }
            }
        }
        for old in WriteAheadLog.existingSegments(directory: self.walDirectory) where old < newSegment {
            try? FileManager.default.removeItem(atPath: WriteAheadLog.segmentPath(directory: self.walDirectory, number: old))
        }
        FileSync.directory(self.walDirectory)
        self.logger.debug("telemetry checkpoint written", metadata: ["chunks": "\(chunks.count)", "file": "\(number)"])
    }

    /// Rewrites all chunk files as one. Without `force` only when it pays: files overlap in time for a
    /// column, or more than eight exist, or retention drops points; and the data is under 1 GiB.
    func compactNow(force: Bool) throws(TimeSeriesError) {
        let now = self.options.clock.nowNanoseconds()
        let (files, columns, number) = self.state.withLock { state in
            let number = state.nextFileNumber
            state.nextFileNumber += 1
            return (state.files, state.columns.map { ($0.info, $0.series, $0.stored) }, number)
        }
        guard !files.isEmpty else { return }
        let cutoffs = self.retentionCutoffs(now: now)
        var needed = force || files.count > 8
        let totalBytes = files.reduce(UInt64(0)) { $0 + $1.size }
        // Retention alone rewrites the files at most once an hour: expired points may linger that long.
        let sweepDue = self.state.withLock { now - $0.lastRetentionSweep >= 3_600_000_000_000 }
        if !needed {
            for (_, seriesID, stored) in columns where !stored.isEmpty {
                if sweepDue, let cutoff = self.cutoff(for: seriesID, cutoffs: cutoffs), stored.contains(where: { $0.minTime < cutoff }) {
                    needed = true
                    break
                }
                guard stored.count > 1 else { continue }
                let sorted = stored.sorted { $0.minTime < $1.minTime }
                if (1..<sorted.count).contains(where: { sorted[$0].minTime <= sorted[$0 - 1].maxTime }) {
                    needed = true
                    break
                }
            }
        }
        guard needed, force || totalBytes < 1 << 30 else { return }
        var output: [(ColumnID, SealedChunk)] = []
        for (info, seriesID, stored) in columns where !stored.isEmpty {
            let ordered = stored.sorted { $0.file.number < $1.file.number }
            var parts: [ColumnData] = []
            for chunk in ordered { parts.append(try chunk.load()) }
            var merged = ColumnData.merge(parts, type: info.type)
            if let cutoff = self.cutoff(for: seriesID, cutoffs: cutoffs) {
                merged = merged.slice(from: cutoff, to: .max)
            }
            var start = 0
            while start < merged.count {
                let end = min(start + self.options.compactedChunkPoints, merged.count)
                output.append((info.id, SealedChunk(merged.rows(start..<end))))
                start = end
            }
        }
        let (file, stored) = try ChunkFile.write(directory: self.chunkDirectory, number: number, chunks: output)
        let replaced = Set(files.map(\.number))
        self.state.withLock { state in
            if !cutoffs.isEmpty { state.lastRetentionSweep = now }
            var byColumn: [ColumnID: [StoredChunk]] = [:]
            for chunk in stored { byColumn[chunk.column, default: []].append(chunk) }
            for column in state.columns {
                column.stored = (byColumn[column.info.id] ?? []) + column.stored.filter { !replaced.contains($0.file.number) }
            }
            state.files = [file] + state.files.filter { !replaced.contains($0.number) }
        }
        for old in replaced {
            try? FileManager.default.removeItem(atPath: ChunkFile.path(directory: self.chunkDirectory, number: old))
        }
        FileSync.directory(self.chunkDirectory)
        self.logger.info(
            "telemetry compacted",
            metadata: ["files.merged": "\(files.count)", "bytes.before": "\(totalBytes)", "bytes.after": "\(file.size)"])
    }

    /// The oldest time kept per series, for series with a retention.
    private func retentionCutoffs(now: Int64) -> [SeriesID: Int64] {
        var result: [SeriesID: Int64] = [:]
        for info in self.state.withLock({ $0.series }) {
            if let duration = self.options.retention(info.key) {
                result[info.id] = now - duration.components.seconds * 1_000_000_000
            }
        }
        return result
    }

    private func cutoff(for series: SeriesID, cutoffs: [SeriesID: Int64]) -> Int64? {
        cutoffs[series]
    }
}

extension ColumnData {
    /// The rows in `range` as a new column.
    func rows(_ range: Range<Int>) -> ColumnData {
        var result = ColumnData(type: self.type)
        result.timestamps = Array(self.timestamps[range])
        switch self.type {
        case .double: result.doubles = Array(self.doubles[range])
        case .integer, .boolean: result.integers = Array(self.integers[range])
        case .string: result.strings = Array(self.strings[range])
        }
        return result
    }
}
