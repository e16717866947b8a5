import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The write-ahead log: records are framed with a CRC, written by one thread and made durable with
/// `fdatasync` in groups (group commit). A writer learns that its record is durable through
/// ``whenDurable(_:_:)``, which is what acknowledgements wait for.
///
/// Segments are files `wal/<number>.wal`; ``rotate()`` starts a new one so that a checkpoint can delete
/// the segments whose data reached chunk files.
final class WriteAheadLog: @unchecked Sendable {
    // Sendable: every mutable field is guarded by `condition`; `fileDescriptor` is written only while
    // the writer thread is idle (nothing pending, everything durable), under the same lock.

    /// Called after each successful sync with the log position now durable; tests inject it to prove that
    /// no acknowledgement precedes its sync.
    typealias SyncHook = @Sendable (_ durablePosition: UInt64) -> Void

    let directory: String
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var appendedPosition: UInt64 = 0
    private var durablePosition: UInt64 = 0
    private var waiters: [(UInt64, @Sendable (Result<Void, TimeSeriesError>) -> Void)] = []
    private var fileDescriptor: Int32 = -1
    private(set) var segment: Int
    private var failure: TimeSeriesError?
    private var closing = false
    private var writerDone = false
    private let syncHook: SyncHook?
    private let logger: Logger
    /// Sync latencies in seconds since the last read (for metrics).
    private var syncSeconds: [Double] = []

    /// Opens a new segment numbered `segment`.
    init(directory: String, segment: Int, syncHook: SyncHook?, logger: Logger) throws(TimeSeriesError) {
        self.directory = directory
        self.segment = segment
        self.syncHook = syncHook
        self.logger = logger
        self.fileDescriptor = try Self.openSegment(directory: directory, number: segment)
        let thread = Thread { [self] in self.writerLoop() }
        thread.name = "twinguard-wal"
        thread.start()
    }

    static func segmentPath(directory: String, number: Int) -> String {
        "\(directory)/\(String(format: "%08d", number)).wal"
    }

    /// The numbers of the segments in `directory`, ascending.
    static func existingSegments(directory: String) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            name.hasSuffix(".wal") ? Int(name.dropLast(4)) : nil
        }.sorted()
    }

    private static func openSegment(directory: String, number: Int) throws(TimeSeriesError) -> Int32 {
        let path = Self.segmentPath(directory: directory, number: number)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("create", path: path, errno: errno) }
        FileSync.directory(directory)
        return descriptor
    }

    /// Frames `payload` and queues it; returns the log position that must be durable for it to count.
    /// Cheap (a copy); the caller keeps record order by calling it under its own lock.
    func append(_ payload: [UInt8]) -> UInt64 {
        var header: [UInt8] = []
        header.reserveCapacity(8)
        ByteCoding.appendFixed32(UInt32(payload.count), to: &header)
        ByteCoding.appendFixed32(CRC32C.checksum(payload), to: &header)
        self.condition.lock()
        self.pending += header
        self.pending += payload
        self.appendedPosition += UInt64(header.count + payload.count)
        let position = self.appendedPosition
        self.condition.signal()
        self.condition.unlock()
        return position
    }

    /// Calls `completion` once everything up to `position` is on stable storage (or the log failed).
    /// It runs on the log's thread, or at once when already durable: hand real work elsewhere.
    func whenDurable(_ position: UInt64, _ completion: @escaping @Sendable (Result<Void, TimeSeriesError>) -> Void) {
        self.condition.lock()
        if let failure = self.failure {
            self.condition.unlock()
            completion(.failure(failure))
            return
        }
        if self.durablePosition >= position {
            self.condition.unlock()
            completion(.success(()))
            return
        }
        self.waiters.append((position, completion))
        self.condition.unlock()
    }

    /// Waits until everything appended so far is durable, then continues in a new segment.
    /// - Returns: the numbers of the segments that are now complete (all below the new one).
    func rotate() throws(TimeSeriesError) -> Int {
        self.condition.lock()
        defer { self.condition.unlock() }
        while self.durablePosition < self.appendedPosition && self.failure == nil {
            self.condition.wait()
        }
        if let failure = self.failure { throw failure }
        let next = self.segment + 1
        let descriptor = try Self.openSegment(directory: self.directory, number: next)
        close(self.fileDescriptor)
        self.fileDescriptor = descriptor
        self.segment = next
        return next
    }

    /// Drains the log, stops the writer thread and closes the segment.
    func shutdown() {
        self.condition.lock()
        self.closing = true
        self.condition.broadcast()
        while !self.writerDone { self.condition.wait() }
        if self.fileDescriptor >= 0 {
            close(self.fileDescriptor)
            self.fileDescriptor = -1
        }
        self.condition.unlock()
    }

    /// Sync latencies measured since the last call.
    func takeSyncLatencies() -> [Double] {
        self.condition.lock()
        defer { self.condition.unlock() }
        let taken = self.syncSeconds
        self.syncSeconds.removeAll(keepingCapacity: true)
        return taken
    }

    private func writerLoop() {
        var batch: [UInt8] = []
        while true {
            self.condition.lock()
            while self.pending.isEmpty && !self.closing { self.condition.wait() }
            if self.pending.isEmpty && self.closing {
                self.writerDone = true
                self.condition.broadcast()
                self.condition.unlock()
                return
            }
            swap(&batch, &self.pending)
            let target = self.appendedPosition
            let descriptor = self.fileDescriptor
            self.condition.unlock()

            let started = ContinuousClock.now
            let result = Self.writeAndSync(batch, to: descriptor, path: Self.segmentPath(directory: self.directory, number: self.segment))
            batch.removeAll(keepingCapacity: true)
            if case .success = result { self.syncHook?(target) }
            let elapsed = started.duration(to: .now)

            self.condition.lock()
            var ready: [@Sendable (Result<Void, TimeSeriesError>) -> Void] = []
            switch result {
            case .success:
                self.durablePosition = target
                if self.syncSeconds.count < 100_000 {
                    self.syncSeconds.append(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
                }
                var kept: [(UInt64, @Sendable (Result<Void, TimeSeriesError>) -> Void)] = []
                for waiter in self.waiters {
                    if waiter.0 <= target { ready.append(waiter.1) } else { kept.append(waiter) }
                }
                self.waiters = kept
            case .failure(let error):
                // A failed fsync leaves the file in an unknown state (the "fsyncgate" lesson): stop accepting.
                self.failure = error
                self.logger.critical("write-ahead log failed; telemetry is no longer accepted", metadata: ["error": "\(error)"])
                ready = self.waiters.map(\.1)
                self.waiters.removeAll()
                self.pending.removeAll()
            }
            self.condition.broadcast()
            self.condition.unlock()
            let outcome: Result<Void, TimeSeriesError> = self.failure.map { .failure($0) } ?? .success(())
            for completion in ready { completion(outcome) }
        }
    }

    private static func writeAndSync(_ bytes: [UInt8], to descriptor: Int32, path: String) -> Result<Void, TimeSeriesError> {
        guard FileSync.writeAll(bytes, to: descriptor) else { return .failure(.io("write", path: path, errno: errno)) }
        if fdatasync(descriptor) != 0 { return .failure(.io("sync", path: path, errno: errno)) }
        return .success(())
    }
}

/// `fsync` helpers for files and directories.
enum FileSync {
    /// Makes a directory's entries (created, renamed, deleted files) durable.
    static func directory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Writes all of `bytes` (retrying short writes and EINTR); `false` on an error, left in `errno`.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(TimeSeriesError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("create", path: temporary, errno: errno) }
        let ok = Self.writeAll(bytes, to: descriptor) && fsync(descriptor) == 0
        let savedErrno = errno
        close(descriptor)
        guard ok else { throw .io("write", path: temporary, errno: savedErrno) }
        guard rename(temporary, path) == 0 else { throw .io("rename", path: temporary, errno: errno) }
        FileSync.directory((path as NSString).deletingLastPathComponent)
    }
}
