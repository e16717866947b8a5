import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in nanoseconds since the Unix epoch, the unit TwinGuard stores time in.
public enum WallClock {
    /// The current time in ns since 1970-01-01T00:00:00Z.
    public static func nowNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

/// Where a component reads the time, in ns since the Unix epoch: ``SystemClock`` when serving, a
/// ``ManualClock`` in tests, so that expiry, back-off and retention are tested without sleeping.
public protocol NanosecondClock: Sendable {
    func nowNanoseconds() -> Int64
}

/// The system's real-time clock (``WallClock``).
public struct SystemClock: NanosecondClock {
    public init() {}

    public func nowNanoseconds() -> Int64 { WallClock.nowNanoseconds() }
}

/// A clock that moves only when told to, for tests and simulations.
public final class ManualClock: NanosecondClock {
    private let now: Mutex<Int64>

    /// A clock at `start` ns (by default the real time when it is made).
    public init(at start: Int64 = WallClock.nowNanoseconds()) {
        self.now = Mutex(start)
    }

    public func nowNanoseconds() -> Int64 { self.now.withLock { $0 } }

    /// Moves the clock forward (or back, with a negative duration).
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        self.now.withLock { $0 += nanoseconds }
    }
}
