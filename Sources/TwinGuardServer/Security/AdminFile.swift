import Foundation
import Identity
import Logging

/// `DATA/run/admin.json` (mode 0600): how the command line on this machine reaches a running server's
/// admin API: the server's pid, its URL and a local admin bearer token made at start.
///
/// `serve` writes it once HTTP listens and removes it at shutdown. A file left by a killed server is
/// harmless: the next start overwrites it, and the command line trusts it only while the data-dir lock
/// is held.
public struct AdminFile: Sendable {
    /// The bearer token, random per start.
    public let token: String
    let path: String

    /// The document in the file.
    public struct Document: Codable, Sendable {
        public var pid: Int32
        public var url: String
        public var token: String
    }

    init(dataDir: String) {
        self.path = Self.path(dataDir: dataDir)
        self.token = RandomSecret.make(count: 40)
    }

    /// Where the file of `dataDir` is.
    public static func path(dataDir: String) -> String { dataDir + "/run/admin.json" }

    func publish(url: String, logger: Logger) {
        do {
            let document = Document(pid: getpid(), url: url, token: self.token)
            let data = try JSONEncoder().encode(document)
            try SecretFile.write(String(decoding: data, as: UTF8.self), to: self.path)
        } catch {
            logger.error("cannot write the admin file; the command line will not reach this server", metadata: ["error": "\(error)"])
        }
    }

    func remove() {
        unlink(self.path)
    }

    /// Reads the file of a running server: `nil` when there is none or the server that wrote it is gone
    /// (the data-dir lock is free).
    public static func running(dataDir: String) -> Document? {
        guard let data = FileManager.default.contents(atPath: self.path(dataDir: dataDir)),
            let document = try? JSONDecoder().decode(Document.self, from: data)
        else { return nil }
        guard let lock = try? DataDirectoryLock.acquire(dataDir) else { return document }
        _ = lock
        return nil
    }
}
