import NIOCore
import Synchronization

/// Brings storage acknowledgements back to an event loop in batches: the WAL thread completes many
/// messages at once, and one `execute` per batch (instead of one per message) saves a thread wake-up
/// each (a tenth of the broker's CPU in profiles of MQTT telemetry ingest).
final class AcknowledgementInbox: Sendable {
    private let eventLoop: any EventLoop
    private let pending = Mutex<[@Sendable () -> Void]>([])

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs `work` on the event loop, together with whatever else arrived meanwhile.
    func post(_ work: @escaping @Sendable () -> Void) {
        let first = self.pending.withLock { pending in
            pending.append(work)
            return pending.count == 1
        }
        guard first else { return }
        self.eventLoop.execute {
            let batch = self.pending.withLock { pending in
                defer { pending.removeAll(keepingCapacity: true) }
                return pending
            }
            for work in batch { work() }
        }
    }
}
