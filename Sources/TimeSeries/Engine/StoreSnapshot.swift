import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Copies a telemetry store's directory consistently while the store is in use.
///
/// Chunk files are immutable and WAL segments only grow, so a copy is consistent if taken in this order:
/// WAL segments first (a checkpoint deletes a segment only after its data is in a chunk file), then the
/// chunk files (a compaction that removes one meanwhile restarts this step), then the catalog, which
/// covers every column the copied files name. Replaying the copied WAL over the copied chunks on open
/// yields every point written before the copy began. A torn last record is skipped as after a crash.
public enum StoreSnapshot {
    /// Copies the store at `source` into `destination` (created).
    /// - Returns: the number of bytes copied.
    public static func copy(from source: String, to destination: String) throws(TimeSeriesError) -> Int {
        let manager = FileManager.default
        var bytes = 0
        for sub in ["wal", "chunks"] {
            do {
                try manager.createDirectory(atPath: destination + "/" + sub, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .io("create directory", path: destination + "/" + sub, errno: EACCES)
            }
        }
        for number in WriteAheadLog.existingSegments(directory: source + "/wal") {
            let name = "/wal/" + (WriteAheadLog.segmentPath(directory: "", number: number) as NSString).lastPathComponent
            bytes += try Self.copyFile(source + name, destination + name, missingIsFine: true)
        }
        var attempts = 0
        while true {
            attempts += 1
            var copied = 0
            var vanished = false
            for number in ChunkFile.existing(directory: source + "/chunks") {
                let name = "/chunks/" + (ChunkFile.path(directory: "", number: number) as NSString).lastPathComponent
                let size = try Self.copyFile(source + name, destination + name, missingIsFine: true)
                if size < 0 {
                    vanished = true
                    break
                }
                copied += size
            }
            if !vanished {
                bytes += copied
                break
            }
            guard attempts < 20 else { throw .io("copy a stable set of chunk files from", path: source, errno: EAGAIN) }
            // A compaction replaced files while copying: start this step again with the new set.
            for name in (try? manager.contentsOfDirectory(atPath: destination + "/chunks")) ?? [] {
                try? manager.removeItem(atPath: destination + "/chunks/" + name)
            }
        }
        if manager.fileExists(atPath: source + "/catalog.tgs") {
            bytes += max(0, try Self.copyFile(source + "/catalog.tgs", destination + "/catalog.tgs", missingIsFine: false))
        }
        return bytes
    }

    /// Copies one file; returns its size, or -1 when it vanished and `missingIsFine`.
    private static func copyFile(_ from: String, _ to: String, missingIsFine: Bool) throws(TimeSeriesError) -> Int {
        guard let data = FileManager.default.contents(atPath: from) else {
            if missingIsFine && !FileManager.default.fileExists(atPath: from) { return -1 }
            throw .io("read", path: from, errno: errno)
        }
        try FileSync.writeAtomically([UInt8](data), to: to)
        return data.count
    }
}
