import Synchronization
import TwinGuardCore

/// Failed logins per (user, source address), so that failures lock an account only from where they came:
/// five wrong passwords from one address lock that user out from that address, with a back-off that doubles
/// at each further lockout (1, 2, 4 … up to 15 minutes); the account stays usable from an address that has
/// not failed. Kept in memory: a restart forgets them, as it forgets the per-source minute counts.
final class LoginLockouts: Sendable {
    /// Wrong passwords in a row, from one address, that lock the user out from it.
    static let threshold = 5
    /// The first lockout, in ns; each further one doubles, up to ``longest``.
    static let first: Int64 = 60_000_000_000
    static let longest: Int64 = 15 * 60_000_000_000
    /// Failures are forgotten after this long without another.
    static let memory: Int64 = 3_600_000_000_000
    /// Pairs remembered at most; past it the oldest hour is dropped, then all (memory stays bounded).
    static let maximumEntries = 100_000

    private struct Entry {
        var failures = 0
        var lockouts = 0
        var lockedUntil: Int64 = 0
        var lastFailure: Int64 = 0
    }

    private let entries = Mutex<[String: Entry]>([:])

    private static func key(_ user: String, _ source: String) -> String { user.lowercased() + "\u{1F}" + source }

    /// Until when `user` is locked out from `source`, if it is now.
    func lockedUntil(user: String, source: String, now: Int64) -> Int64? {
        self.entries.withLock { entries in
            guard let entry = entries[Self.key(user, source)], entry.lockedUntil > now else { return nil }
            return entry.lockedUntil
        }
    }

    /// Counts a failure; returns the end of the lockout it starts, if it starts one.
    func noteFailure(user: String, source: String, now: Int64) -> Int64? {
        self.entries.withLock { entries in
            if entries.count >= Self.maximumEntries {
                entries = entries.filter { now - $0.value.lastFailure < Self.memory && $0.value.lockedUntil > now }
                if entries.count >= Self.maximumEntries { entries.removeAll() }
            }
            let key = Self.key(user, source)
            var entry = entries[key] ?? Entry()
            if now - entry.lastFailure > Self.memory { entry = Entry() }
            entry.failures += 1
            entry.lastFailure = now
            var started: Int64?
            if entry.failures >= Self.threshold {
                let shift = min(entry.lockouts, 4)
                entry.lockedUntil = now + min(Self.first << Int64(shift), Self.longest)
                entry.lockouts += 1
                entry.failures = 0
                started = entry.lockedUntil
            }
            entries[key] = entry
            return started
        }
    }

    /// A success from `source` clears its failures (not its back-off history within the hour).
    func noteSuccess(user: String, source: String) {
        self.entries.withLock { entries in
            let key = Self.key(user, source)
            guard var entry = entries[key] else { return }
            entry.failures = 0
            entry.lockedUntil = 0
            entries[key] = entry
        }
    }

    /// Whether `user` is locked out from any address now (for the user list).
    func isLockedAnywhere(user: String, now: Int64) -> Bool {
        let prefix = user.lowercased() + "\u{1F}"
        return self.entries.withLock { entries in entries.contains { $0.key.hasPrefix(prefix) && $0.value.lockedUntil > now } }
    }

    /// Lifts every lockout of `user` (an administrator reset the password).
    func clear(user: String) {
        let prefix = user.lowercased() + "\u{1F}"
        self.entries.withLock { entries in entries = entries.filter { !$0.key.hasPrefix(prefix) } }
    }
}
