import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where one sealed chunk lives: its file, place and time range.
struct StoredChunk: Sendable {
    let file: ChunkFile
    let column: ColumnID
    let offset: UInt64
    let length: UInt32
    let checksum: UInt32
    let minTime: Int64
    let maxTime: Int64
    let count: UInt32

    func load() throws(TimeSeriesError) -> ColumnData {
        let bytes = try self.file.read(offset: self.offset, length: Int(self.length))
        guard CRC32C.checksum(bytes) == self.checksum else {
            throw .corruptChunk("checksum mismatch in \(self.file.path) at \(self.offset)")
        }
        return try ChunkCodec.decode(bytes)
    }
}

/// A sealed chunk that is still in memory (not yet in a chunk file): compressed, or — between a
/// checkpoint taking a head and writing its file — raw and sorted, so that the store's lock is not held
/// while it is compressed.
struct SealedChunk: Sendable {
    private enum Content: Sendable {
        case encoded([UInt8])
        case raw(ColumnData)
    }

    private let content: Content
    let minTime: Int64
    let maxTime: Int64
    let count: Int

    /// Compresses a normalized column.
    init(_ column: ColumnData) {
        self.init(raw: column)
        self = self.encoded()
    }

    /// Keeps a normalized column as it is, to be compressed later with ``encoded()``.
    init(raw column: ColumnData) {
        self.content = .raw(column)
        self.minTime = column.timestamps.first ?? 0
        self.maxTime = column.timestamps.last ?? 0
        self.count = column.count
    }

    private init(bytes: [UInt8], minTime: Int64, maxTime: Int64, count: Int) {
        self.content = .encoded(bytes)
        self.minTime = minTime
        self.maxTime = maxTime
        self.count = count
    }

    /// The compressed form.
    func encoded() -> SealedChunk {
        guard case .raw(let column) = self.content else { return self }
        return SealedChunk(bytes: ChunkCodec.encode(column), minTime: self.minTime, maxTime: self.maxTime, count: self.count)
    }

    /// The compressed bytes (compressing now if still raw).
    var bytes: [UInt8] {
        switch self.content {
        case .encoded(let bytes): bytes
        case .raw(let column): ChunkCodec.encode(column)
        }
    }

    func load() throws(TimeSeriesError) -> ColumnData {
        switch self.content {
        case .encoded(let bytes): try ChunkCodec.decode(bytes)
        case .raw(let column): column
        }
    }
}

/// An immutable file of compressed chunks with an index at its end:
/// `"TGC1" chunks… index [indexOffset u64][indexLength u32][indexCRC u32] "TGCE"`.
///
/// The number in its name orders files: on equal timestamps a higher number wins.
final class ChunkFile: @unchecked Sendable {
    // Sendable: `descriptor` is set once in init and only read (pread is thread-safe) until deinit.
    let path: String
    let number: Int
    let size: UInt64
    private let descriptor: Int32

    static let headerMagic: [UInt8] = Array("TGC1".utf8)
    static let footerMagic: [UInt8] = Array("TGCE".utf8)

    static func path(directory: String, number: Int) -> String {
        "\(directory)/\(String(format: "%08d", number)).tgc"
    }

    /// The numbers of the chunk files in `directory`, ascending.
    static func existing(directory: String) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { $0.hasSuffix(".tgc") ? Int($0.dropLast(4)) : nil }.sorted()
    }

    private init(path: String, number: Int, descriptor: Int32, size: UInt64) {
        self.path = path
        self.number = number
        self.descriptor = descriptor
        self.size = size
    }

    deinit {
        close(self.descriptor)
    }

    /// Writes a chunk file durably and returns it with the places of its chunks.
    static func write(
        directory: String, number: Int, chunks: [(ColumnID, SealedChunk)]
    ) throws(TimeSeriesError) -> (ChunkFile, [StoredChunk]) {
        var bytes = Self.headerMagic
        var entries: [(ColumnID, UInt64, UInt32, UInt32, Int64, Int64, UInt32)] = []
        for (column, chunk) in chunks {
            let offset = UInt64(bytes.count)
            bytes += chunk.bytes
            entries.append(
                (column, offset, UInt32(chunk.bytes.count), CRC32C.checksum(chunk.bytes), chunk.minTime, chunk.maxTime,
                 UInt32(chunk.count)))
        }
        var index: [UInt8] = []
        ByteCoding.appendVarint(UInt64(entries.count), to: &index)
        for entry in entries {
            ByteCoding.appendVarint(UInt64(entry.0), to: &index)
            ByteCoding.appendVarint(entry.1, to: &index)
            ByteCoding.appendVarint(UInt64(entry.2), to: &index)
            ByteCoding.appendFixed32(entry.3, to: &index)
            ByteCoding.appendVarint(ByteCoding.zigzag(entry.4), to: &index)
            ByteCoding.appendVarint(ByteCoding.zigzag(entry.5 &- entry.4), to: &index)
            ByteCoding.appendVarint(UInt64(entry.6), to: &index)
        }
        let indexOffset = UInt64(bytes.count)
        bytes += index
        ByteCoding.appendFixed64(indexOffset, to: &bytes)
        ByteCoding.appendFixed32(UInt32(index.count), to: &bytes)
        ByteCoding.appendFixed32(CRC32C.checksum(index), to: &bytes)
        bytes += Self.footerMagic
        let path = Self.path(directory: directory, number: number)
        try FileSync.writeAtomically(bytes, to: path)
        let file = try Self.open(path: path, number: number)
        let stored = entries.map {
            StoredChunk(
                file: file, column: $0.0, offset: $0.1, length: $0.2, checksum: $0.3, minTime: $0.4, maxTime: $0.5,
                count: $0.6)
        }
        return (file, stored)
    }

    /// Opens a chunk file and reads its index.
    static func load(path: String, number: Int) throws(TimeSeriesError) -> (ChunkFile, [StoredChunk]) {
        let file = try Self.open(path: path, number: number)
        guard file.size >= 24 else { throw .corruptChunk("\(path) is too short to be a chunk file") }
        let footer = try file.read(offset: file.size - 20, length: 20)
        var cursor = ByteCursor(footer)
        let indexOffset = try cursor.fixed64()
        let indexLength = try cursor.fixed32()
        let indexCRC = try cursor.fixed32()
        guard Array(footer[16..<20]) == Self.footerMagic, indexOffset + UInt64(indexLength) <= file.size - 20 else {
            throw .corruptChunk("\(path) has no valid footer")
        }
        let index = try file.read(offset: indexOffset, length: Int(indexLength))
        guard CRC32C.checksum(index) == indexCRC else { throw .corruptChunk("\(path) index checksum mismatch") }
        var entries = ByteCursor(index)
        let count = Int(clamping: try entries.varint())
        var stored: [StoredChunk] = []
        stored.reserveCapacity(min(count, 1 << 20))
        for _ in 0..<count {
            let column = ColumnID(truncatingIfNeeded: try entries.varint())
            let offset = try entries.varint()
            let length = UInt32(truncatingIfNeeded: try entries.varint())
            let checksum = try entries.fixed32()
            let minTime = ByteCoding.unzigzag(try entries.varint())
            let maxTime = minTime &+ ByteCoding.unzigzag(try entries.varint())
            let points = UInt32(truncatingIfNeeded: try entries.varint())
            guard offset + UInt64(length) <= indexOffset else { throw .corruptChunk("\(path) index points past its data") }
            stored.append(
                StoredChunk(
                    file: file, column: column, offset: offset, length: length, checksum: checksum, minTime: minTime,
                    maxTime: maxTime, count: points))
        }
        return (file, stored)
    }

    private static func open(path: String, number: Int) throws(TimeSeriesError) -> ChunkFile {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io("open", path: path, errno: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let saved = errno
            close(descriptor)
            throw .io("stat", path: path, errno: saved)
        }
        return ChunkFile(path: path, number: number, descriptor: descriptor, size: UInt64(info.st_size))
    }

    func read(offset: UInt64, length: Int) throws(TimeSeriesError) -> [UInt8] {
        guard offset + UInt64(length) <= self.size else { throw .corruptChunk("read past the end of \(self.path)") }
        var bytes = [UInt8](repeating: 0, count: length)
        let count = bytes.withUnsafeMutableBytes { buffer in
            pread(self.descriptor, buffer.baseAddress, length, off_t(offset))
        }
        guard count == length else { throw .io("read", path: self.path, errno: errno) }
        return bytes
    }
}
