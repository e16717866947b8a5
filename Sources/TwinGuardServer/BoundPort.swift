import Synchronization

/// A listener's port, known once it is bound (port 0 in the configuration picks a free one).
public final class BoundPort: Sendable {
    private let value = Atomic<Int>(0)

    init() {}

    func set(_ port: Int) {
        self.value.store(port, ordering: .releasing)
    }

    /// The bound port, or `nil` before the listener is up.
    public var port: Int? {
        let port = self.value.load(ordering: .acquiring)
        return port == 0 ? nil : port
    }

    /// Waits up to `timeout` for the listener.
    public func wait(timeout: Duration = .seconds(10)) async -> Int? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let port = self.port { return port }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return self.port
    }
}
