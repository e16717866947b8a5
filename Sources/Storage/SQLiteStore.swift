import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif
import TwinGuardCore

/// The embedded metadata store: one SQLite database (WAL mode) in the data dir, accessed through GRDB.
public final class SQLiteStore: Sendable {
    let database: any DatabaseWriter
    /// The schema version the data dir is at (the number of applied migrations).
    public let schemaVersion: Int

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    /// - Throws: ``StorageError`` when the file cannot be opened or migrated.
    public init(path: String) throws {
        let pool: DatabasePool
        // The database holds password hashes and token hashes: owner-only, like every secret in the data dir.
        // SQLite gives its -wal and -shm files the mode of the database file.
        Self.restrictToOwner(path)
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StorageError.cannotOpen(path: path, underlying: error)
        }
        self.database = pool
        self.schemaVersion = try Self.migrate(pool)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }

    /// Creates `path` with mode 0600 when missing, and takes group and other rights off an existing one.
    private static func restrictToOwner(_ path: String) {
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        if descriptor >= 0 { Glibc.close(descriptor) }
        chmod(path, 0o600)
    }

    /// An in-memory store, for tests.
    public init() throws {
        let queue = try DatabaseQueue()
        self.database = queue
        self.schemaVersion = try Self.migrate(queue)
    }

    private static func migrate(_ writer: any DatabaseWriter) throws -> Int {
        do {
            let migrator = Migrations.migrator
            try migrator.migrate(writer)
            return try writer.read { try migrator.appliedIdentifiers($0).count }
        } catch {
            throw StorageError.migrationFailed(error)
        }
    }
}

extension SQLiteStore {
    /// Checkpoints SQLite's own WAL into the database file and closes it (at shutdown), so that a stopped
    /// server leaves one compact file.
    public func close() throws {
        do {
            try self.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            if let pool = self.database as? DatabasePool { try pool.close() }
        } catch {
            throw StorageError.writeFailed("the final checkpoint", error)
        }
    }
}

extension SQLiteStore {
    /// Copies the database at `source` to `destination` with SQLite's online backup, which is consistent
    /// even while a server writes to it.
    public static func backup(databaseAt source: String, to destination: String) throws {
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            let from = try DatabaseQueue(path: source, configuration: configuration)
            let to = try DatabaseQueue(path: destination)
            try from.backup(to: to)
            try to.close()
            try from.close()
        } catch {
            throw StorageError.readFailed("a backup of '\(source)'", error)
        }
    }
}
