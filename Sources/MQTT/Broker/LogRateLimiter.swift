import Synchronization

/// Lets at most `limit` log lines of one kind through per second, and reports how many it held back,
/// so that a flood of bad connections cannot flood the log (the counters still count every event).
final class LogRateLimiter: Sendable {
    private struct Window {
        var start: ContinuousClock.Instant
        var logged = 0
        var suppressed = 0
    }

    private let limit: Int
    private let window: Mutex<Window>

    init(limit: Int) {
        self.limit = limit
        self.window = Mutex(Window(start: .now))
    }

    /// Whether to log this event now; when a new second begins, also how many were held back before it.
    func admit(now: ContinuousClock.Instant = .now) -> (log: Bool, heldBack: Int) {
        self.window.withLock { window in
            var heldBack = 0
            if now - window.start >= .seconds(1) {
                heldBack = window.suppressed
                window = Window(start: now)
            }
            guard window.logged < self.limit else {
                window.suppressed += 1
                return (false, heldBack)
            }
            window.logged += 1
            return (true, heldBack)
        }
    }
}
