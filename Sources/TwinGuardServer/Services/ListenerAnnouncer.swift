#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Prints `NAME listening on HOST:PORT` lines to standard output, verbatim and flushed at once,
/// so that scripts and tests can read the ports a server picked.
public final class ListenerAnnouncer: Sendable {
    private let lock = Mutex<Void>(())

    public init() {}

    /// Prints one line and flushes standard output.
    public func announce(_ name: String, host: String, port: Int) {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        self.line("\(name) listening on \(shownHost):\(port)")
    }

    /// Writes a line of plain text straight to the standard output descriptor (no buffering).
    public func line(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        self.lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
