import NIOCore
import Synchronization

/// Watches the keep-alive of every connection on one event loop with a single periodic sweep
/// (§3.1.2.10: one and a half keep-alive periods without a packet end the connection).
///
/// One timer per loop instead of one per connection keeps idle connections cheap.
final class KeepAliveMonitor: @unchecked Sendable {
    // Sendable: `watched` and `sweepTask` are only touched on `eventLoop` (checked by preconditions).
    private let eventLoop: any EventLoop
    private var watched: [ObjectIdentifier: Entry] = [:]
    private var sweepTask: RepeatedTask?

    private struct Entry {
        let deadline: () -> NIODeadline
        let expire: () -> Void
    }

    private static let sweepInterval = TimeAmount.milliseconds(250)

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Starts watching a connection.
    /// - Parameters:
    ///   - key: identifies the connection (its handler).
    ///   - deadline: when the connection expires unless it sends something; read at each sweep.
    ///   - expire: called on the loop once, when the deadline has passed.
    func watch(_ key: ObjectIdentifier, deadline: @escaping () -> NIODeadline, expire: @escaping () -> Void) {
        self.eventLoop.preconditionInEventLoop()
        self.watched[key] = Entry(deadline: deadline, expire: expire)
        if self.sweepTask == nil {
            self.sweepTask = self.eventLoop.scheduleRepeatedTask(
                initialDelay: Self.sweepInterval, delay: Self.sweepInterval
            ) { [self] (_: RepeatedTask) in
                self.sweep()
            }
        }
    }

    /// Stops watching a connection (it closed).
    func unwatch(_ key: ObjectIdentifier) {
        self.eventLoop.preconditionInEventLoop()
        self.watched[key] = nil
        if self.watched.isEmpty {
            self.sweepTask?.cancel()
            self.sweepTask = nil
        }
    }

    private func sweep() {
        let now = NIODeadline.now()
        let expired = self.watched.filter { $0.value.deadline() <= now }
        for (key, entry) in expired {
            self.watched[key] = nil
            entry.expire()
        }
    }
}
