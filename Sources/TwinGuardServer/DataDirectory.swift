import Foundation

/// The server's data dir: created on first start (mode 0700) and checked for writing before anything
/// else runs, so that a bad path fails with one clear line.
public enum DataDirectory {
    /// Creates `path` if needed and checks that files can be written there.
    /// - Throws: ``DataDirectoryError`` with the reason.
    public static func prepare(_ path: String) throws(DataDirectoryError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw DataDirectoryError(path: path, reason: "it is a file, not a directory") }
        } else {
            do {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw DataDirectoryError(path: path, reason: Self.reason(error))
            }
        }
        let probe = path + "/.write-test-\(getpid())"
        guard manager.createFile(atPath: probe, contents: Data("ok".utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DataDirectoryError(path: path, reason: "it is not writable (\(String(cString: strerror(errno))))")
        }
        try? manager.removeItem(atPath: probe)
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}

/// The data dir cannot be used.
public struct DataDirectoryError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String {
        "data dir '\(self.path)' cannot be used: \(self.reason); choose another with --data-dir"
    }
}
