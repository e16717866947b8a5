import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files that hold secrets (keys, the admin credential): written with mode 0600 from the first byte,
/// and refused when someone else could read them.
public enum SecretFile {
    /// Writes `text` to `path` with mode 0600, replacing it atomically.
    public static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw CertificateAuthorityError.unreadable(path: temporary, reason: String(cString: strerror(errno)))
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CertificateAuthorityError.unreadable(path: path, reason: "cannot write: \(String(cString: strerror(errno)))")
        }
    }

    /// Throws when `path` is readable or writable by group or others.
    public static func checkPrivate(_ path: String) throws {
        let mode: Int
        do {
            mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
        } catch {
            throw CertificateAuthorityError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        if mode & 0o077 != 0 {
            throw CertificateAuthorityError.insecureKeyFile(path: path, mode: String(mode & 0o777, radix: 8))
        }
    }
}
