import Foundation
import Logging
import TwinGuardCore

#if canImport(Glibc)
import Glibc
#endif

extension TimeSeriesStore {
    static func loadCatalog(into state: inout State, directory: String, indexedTag: String) throws(TimeSeriesError) {
        let path = directory + "/catalog.tgs"
        guard let data = FileManager.default.contents(atPath: path) else { return }
        for info in try CatalogFile.decode([UInt8](data)) {
            Self.define(info.id, key: info.key, in: &state, indexedTag: indexedTag)
            for column in info.columns { Self.define(column, series: info.id, in: &state) }
        }
    }

    static func loadChunkFiles(into state: inout State, directory: String, logger: Logger) throws(TimeSeriesError) {
        for number in ChunkFile.existing(directory: directory) {
            let (file, chunks) = try ChunkFile.load(path: ChunkFile.path(directory: directory, number: number), number: number)
            state.files.append(file)
            for chunk in chunks {
                guard Int(chunk.column) < state.columns.count else {
                    throw .corruptChunk("\(file.path) refers to column \(chunk.column), unknown to the catalog")
                }
                state.columns[Int(chunk.column)].stored.append(chunk)
            }
            state.nextFileNumber = number + 1
        }
        // Leftovers of an interrupted write are never valid files.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Replays WAL segments in order; a damaged record ends its segment, which is cut back to its intact
    /// prefix. Returns the number of points replayed.
    static func replay(
        segments: [Int], into state: inout State, walDirectory: String, sealThreshold: Int, indexedTag: String, logger: Logger
    ) throws(TimeSeriesError) -> Int {
        var points = 0
        for number in segments {
            let path = WriteAheadLog.segmentPath(directory: walDirectory, number: number)
            let segment = try WALReader.read(path: path)
            if let damage = segment.damage {
                logger.warning(
                    "damaged write-ahead log tail skipped",
                    metadata: ["wal.segment": "\(path)", "wal.damage": "\(damage)", "wal.valid_bytes": "\(segment.validLength)"])
                truncate(path, off_t(segment.validLength))
            }
            for payload in segment.payloads {
                let record: WALRecord.Decoded
                do {
                    record = try WALRecord.decode(payload) { id in
                        Int(id) < state.columns.count ? state.columns[Int(id)].info.type : nil
                    }
                } catch {
                    logger.warning("unreadable write-ahead log record skipped", metadata: ["wal.segment": "\(path)", "error": "\(error)"])
                    continue
                }
                switch record {
                case .series(let id, let key):
                    Self.define(id, key: key, in: &state, indexedTag: indexedTag)
                case .column(let id, let series, let field, let type):
                    Self.define(ColumnInfo(id: id, field: field, type: type), series: series, in: &state)
                case .rows(let rows):
                    for row in rows {
                        for (column, value) in row.values where Int(column) < state.columns.count {
                            state.columns[Int(column)].append(row.timestamp, raw: value, sealThreshold: sealThreshold)
                        }
                        points += 1
                    }
                }
            }
        }
        return points
    }

    /// Adds a series read back from disk (idempotent: the WAL may repeat what the catalog has).
    private static func define(_ id: SeriesID, key: SeriesKey, in state: inout State, indexedTag: String) {
        guard Int(id) >= state.series.count else { return }
        while state.series.count < Int(id) {
            // Ids are dense; a gap means a lost definition: keep the slot with an unusable key.
            let placeholder = SeriesKey(tenant: TenantID(unchecked: ""), measurement: "", tags: [])
            state.series.append(SeriesInfo(id: SeriesID(state.series.count), key: placeholder, columns: []))
            state.seriesColumns.append([])
        }
        state.series.append(SeriesInfo(id: id, key: key, columns: []))
        state.seriesColumns.append([])
        state.seriesByKey[key] = id
        state.index(id, key, tag: indexedTag)
    }

    private static func define(_ column: ColumnInfo, series: SeriesID, in state: inout State) {
        guard Int(column.id) >= state.columns.count, Int(series) < state.series.count else { return }
        guard Int(column.id) == state.columns.count else { return }
        let columnState = ColumnState(info: column, series: series)
        state.columns.append(columnState)
        state.series[Int(series)].columns.append(column)
        state.seriesColumns[Int(series)].append(columnState)
    }
}
