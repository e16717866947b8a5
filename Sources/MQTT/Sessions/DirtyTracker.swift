import Synchronization
import TwinGuardCore

/// Remembers which sessions and retained messages changed since the last flush to the store.
final class DirtyTracker: Sendable {
    private struct Marks {
        var sessions: Set<SessionKey> = []
        var retained: Set<RetainedKey> = []
    }

    private let marks = Mutex<Marks>(Marks())

    func markSession(_ key: SessionKey) {
        self.marks.withLock { _ = $0.sessions.insert(key) }
    }

    func markRetained(_ key: RetainedKey) {
        self.marks.withLock { _ = $0.retained.insert(key) }
    }

    /// Takes every mark, leaving the tracker empty.
    func take() -> (sessions: Set<SessionKey>, retained: Set<RetainedKey>) {
        self.marks.withLock { marks in
            defer { marks = Marks() }
            return (marks.sessions, marks.retained)
        }
    }
}
