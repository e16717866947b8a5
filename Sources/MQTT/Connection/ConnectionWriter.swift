import MQTTCodec
import NIOCore
import Synchronization

/// Sends packets to one client from any thread, batching them into one write and flush per event-loop turn.
///
/// Publishers on other cores append encoded packets under a short lock; the first append of a batch
/// schedules one task on the connection's event loop that writes and flushes everything gathered.
final class ConnectionWriter: Sendable {
    let channel: any Channel
    let version: ProtocolVersion
    private let statistics: BrokerStatistics
    private let pending = Mutex<Pending>(Pending())
    /// Mirrors the channel's writability (its high-water mark), updated by the connection handler.
    let channelWritable = Atomic<Bool>(true)
    /// Set once the connection is closing: nothing more is written.
    private let closed = Atomic<Bool>(false)

    private struct Pending {
        var buffer: ByteBuffer?
        var scheduled = false
    }

    init(channel: any Channel, version: ProtocolVersion, statistics: BrokerStatistics) {
        self.channel = channel
        self.version = version
        self.statistics = statistics
    }

    /// Whether a QoS 0 message may be written now: while the client does not keep up (more than the
    /// maximum queued bytes are waiting for its socket), QoS 0 is dropped rather than buffered without bound.
    var acceptsBestEffort: Bool {
        self.channelWritable.load(ordering: .relaxed)
    }

    var isClosed: Bool { self.closed.load(ordering: .relaxed) }

    /// Encodes `packet` for this connection and queues it.
    func send(_ packet: MQTTPacket) {
        guard !self.isClosed else { return }
        let schedule = self.pending.withLock { pending -> Bool in
            if pending.buffer == nil {
                pending.buffer = self.channel.allocator.buffer(capacity: 256)
            }
            packet.write(to: &pending.buffer!, version: self.version)
            if pending.scheduled { return false }
            pending.scheduled = true
            return true
        }
        if schedule {
            self.channel.eventLoop.execute { self.drain() }
        }
    }

    /// Writes and flushes what was gathered; `promise` learns when it is written (used only when closing).
    private func drain(promise: EventLoopPromise<Void>? = nil) {
        let buffer = self.pending.withLock { pending -> ByteBuffer? in
            pending.scheduled = false
            defer { pending.buffer = nil }
            return pending.buffer
        }
        guard let buffer, buffer.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        self.statistics.bytesSent.add(buffer.readableBytes, ordering: .relaxed)
        self.channel.writeAndFlush(buffer, promise: promise)
    }

    /// Sends `packet` (if any) after everything queued, then closes the connection.
    func close(after packet: MQTTPacket? = nil) {
        if let packet { self.send(packet) }
        guard self.closed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        self.channel.eventLoop.execute {
            let channel = self.channel
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            self.drain(promise: written)
        }
    }
}
