import Foundation
import Storage
import TimeSeries

/// `twinguard backup` and `twinguard restore`: a consistent copy of a data dir, taken while a server
/// runs on it, and its way back into an empty (or stopped) data dir.
public enum Backup {
    /// What a backup holds, written as `backup.json`.
    struct Manifest: Codable {
        var format = 1
        var version: String
        var createdAt: String
        var sourceDataDir: String
        var databaseSchemaVersion: Int
        var telemetryBytes: Int
    }

    /// Copies `dataDir` into `destination` (which must not exist or be empty).
    /// - Returns: a one-line summary.
    public static func create(dataDir: String, destination: String) throws -> String {
        let manager = FileManager.default
        let database = dataDir + "/twinguard.sqlite"
        guard manager.fileExists(atPath: database) else {
            throw BackupError("'\(dataDir)' holds no TwinGuard data (no twinguard.sqlite); name the server's data dir with --data-dir")
        }
        if let existing = try? manager.contentsOfDirectory(atPath: destination), !existing.isEmpty {
            throw BackupError("the backup destination '\(destination)' is not empty; name a new directory with --out")
        }
        try manager.createDirectory(atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Telemetry first: the database copy then names every twin whose points the copy holds (and the
        // restore re-creates any twin whose points came without its record).
        let telemetryBytes = try StoreSnapshot.copy(from: dataDir + "/telemetry", to: destination + "/telemetry")
        try SQLiteStore.backup(databaseAt: database, to: destination + "/twinguard.sqlite")
        let schema = try SQLiteStore(path: destination + "/twinguard.sqlite").schemaVersion
        try Self.copyFiles(from: dataDir, to: destination)
        let manifest = Manifest(
            version: TwinGuardServer.version, createdAt: ISO8601DateFormatter().string(from: Date()), sourceDataDir: dataDir,
            databaseSchemaVersion: schema, telemetryBytes: telemetryBytes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: destination + "/backup.json"))
        return "backup of \(dataDir) written to \(destination) (database schema \(schema), \(telemetryBytes) bytes of telemetry)"
    }

    /// Restores a backup into `dataDir`, which must be empty unless `force`; refuses while a server runs there.
    public static func restore(from source: String, dataDir: String, force: Bool) throws -> String {
        let manager = FileManager.default
        guard let data = manager.contents(atPath: source + "/backup.json"),
            let manifest = try? JSONDecoder().decode(Manifest.self, from: data)
        else {
            throw BackupError("'\(source)' is not a TwinGuard backup (no readable backup.json); name the directory 'twinguard backup' wrote with --from")
        }
        try DataDirectory.prepare(dataDir)
        let lock = try DataDirectoryLock.acquire(dataDir)
        let existing = ((try? manager.contentsOfDirectory(atPath: dataDir)) ?? []).filter { $0 != "run" }
        if !existing.isEmpty {
            guard force else {
                throw BackupError("data dir '\(dataDir)' already holds data; restore into an empty data dir or add --force to replace it")
            }
            for name in existing { try manager.removeItem(atPath: dataDir + "/" + name) }
        }
        try manager.copyItem(atPath: source + "/twinguard.sqlite", toPath: dataDir + "/twinguard.sqlite")
        if manager.fileExists(atPath: source + "/telemetry") {
            _ = try StoreSnapshot.copy(from: source + "/telemetry", to: dataDir + "/telemetry")
        }
        try Self.copyFiles(from: source, to: dataDir)
        // Opening migrates an older schema to this version's.
        let schema = try SQLiteStore(path: dataDir + "/twinguard.sqlite").schemaVersion
        withExtendedLifetime(lock) {}
        return "restored the backup of \(manifest.createdAt) into \(dataDir) (database schema \(schema))"
    }
}

extension Backup {
    /// The data dir's files beside the database and telemetry: the device CA and server keys (`pki`),
    /// webhook secrets, saved alerts and installed RUL models. Modes are kept (keys stay 0600).
    static let files = ["pki", "webhooks.json", "alerts.json", "rul"]

    static func copyFiles(from source: String, to destination: String) throws {
        let manager = FileManager.default
        for name in Self.files where manager.fileExists(atPath: source + "/" + name) {
            try manager.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
            for relative in [""] + ((try? manager.subpathsOfDirectory(atPath: source + "/" + name)) ?? []) {
                let from = source + "/" + name + (relative.isEmpty ? "" : "/" + relative)
                let to = destination + "/" + name + (relative.isEmpty ? "" : "/" + relative)
                if let mode = try manager.attributesOfItem(atPath: from)[.posixPermissions] {
                    try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: to)
                }
            }
        }
    }
}

/// Why a backup or restore cannot run.
public struct BackupError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
