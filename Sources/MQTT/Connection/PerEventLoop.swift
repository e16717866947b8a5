import NIOCore
import Synchronization

/// One value per event loop, made on first use: for state that connections on one loop share and
/// only that loop touches (keep-alive sweeps, acknowledgement inboxes).
final class PerEventLoop<Value: Sendable>: Sendable {
    private let values = Mutex<[ObjectIdentifier: Value]>([:])
    private let make: @Sendable (any EventLoop) -> Value

    init(_ make: @escaping @Sendable (any EventLoop) -> Value) {
        self.make = make
    }

    func value(for eventLoop: any EventLoop) -> Value {
        self.values.withLock { values in
            let key = ObjectIdentifier(eventLoop)
            if let value = values[key] { return value }
            let value = self.make(eventLoop)
            values[key] = value
            return value
        }
    }
}
