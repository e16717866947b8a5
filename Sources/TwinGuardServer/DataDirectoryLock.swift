import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `DATA/run/serve.lock`, held while a server runs, so that two servers never
/// share a data dir and a restore never overwrites a running one. The kernel drops it when the process
/// ends, however it ends: a lock left by a killed server never blocks the next start.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(self.descriptor)
    }

    /// Takes the lock, or explains who holds it.
    public static func acquire(_ dataDir: String) throws(DataDirectoryError) -> DataDirectoryLock {
        let run = dataDir + "/run"
        try? FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = run + "/serve.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DataDirectoryError(path: dataDir, reason: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw DataDirectoryError(
                path: dataDir, reason: "another TwinGuard process uses it\(holder.isEmpty ? "" : " (pid \(holder))"); stop it first")
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        return DataDirectoryLock(descriptor: descriptor)
    }
}
