import Synchronization

/// Broker-wide counters, named after Mosquitto's `$SYS` statistics where one exists.
///
/// Counters are atomics: they are touched on the publish path from every event loop.
public final class BrokerStatistics: Sendable {
    public let startedAt: ContinuousClock.Instant = .now
    public let clientsConnected = Atomic<Int>(0)
    public let clientsTotal = Atomic<Int>(0)
    public let messagesReceived = Atomic<Int>(0)
    public let messagesSent = Atomic<Int>(0)
    public let publishReceived = Atomic<Int>(0)
    public let publishSent = Atomic<Int>(0)
    public let publishDropped = Atomic<Int>(0)
    public let bytesReceived = Atomic<Int>(0)
    public let bytesSent = Atomic<Int>(0)
    public let subscriptions = Atomic<Int>(0)
    public let retainedMessages = Atomic<Int>(0)
    /// Messages that did not fit a session's queue.
    public let queueOverflows = Atomic<Int>(0)
    /// Packets refused as malformed, protocol errors or oversize.
    public let protocolErrors = Atomic<Int>(0)
    /// Connections and actions refused by policy.
    public let authorizationDenials = Atomic<Int>(0)
    /// Messages refused because their sender exceeded its rate limits.
    public let quotaExceeded = Atomic<Int>(0)

    public init() {}

    /// Seconds since the broker started.
    public var uptimeSeconds: Int {
        Int((ContinuousClock.now - self.startedAt).components.seconds)
    }
}
