import Foundation
import Synchronization
import TwinGuardCore

/// Something that happened to a twin, for live streams (SSE) and the event feed.
public struct TwinEvent: Sendable, Encodable {
    /// `twin.created`, `twin.updated`, `twin.deleted`, `desired`, `reported`, `telemetry`,
    /// `telemetry.flagged`, `presence`, `command`.
    public var kind: String
    public var tenant: TenantID
    public var twin: String
    public var time: Int64
    public var data: JSONValue

    public init(kind: String, tenant: TenantID, twin: String, time: Int64 = WallClock.nowNanoseconds(), data: JSONValue) {
        self.kind = kind
        self.tenant = tenant
        self.twin = twin
        self.time = time
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case kind, twin, time, data
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.kind, forKey: .kind)
        try container.encode(self.twin, forKey: .twin)
        try container.encode(RFC3339.format(self.time), forKey: .time)
        try container.encode(self.data, forKey: .data)
    }
}

/// Fans events out to live subscribers, each with a filter and a bounded buffer (a slow reader loses
/// the oldest events, never slows ingest). Costs nothing while nobody listens.
public final class EventHub: Sendable {
    /// Which events a subscriber wants.
    public struct Filter: Sendable {
        public var tenant: TenantID
        /// One twin, or every twin of the tenant.
        public var twin: String?
        /// Event kinds (prefixes, e.g. `telemetry` also matches `telemetry.flagged`); empty means all.
        public var kinds: [String]
        /// Which twins the subscriber may see (a user limited to sites); `nil` for all.
        public var visible: (@Sendable (String) -> Bool)?

        public init(tenant: TenantID, twin: String? = nil, kinds: [String] = [], visible: (@Sendable (String) -> Bool)? = nil) {
            self.tenant = tenant
            self.twin = twin
            self.kinds = kinds
            self.visible = visible
        }

        func matches(_ event: TwinEvent) -> Bool {
            event.tenant == self.tenant && (self.twin == nil || self.twin == event.twin)
                && (self.kinds.isEmpty || self.kinds.contains { event.kind == $0 || event.kind.hasPrefix($0 + ".") })
                && (self.visible?(event.twin) ?? true)
        }
    }

    private struct Subscriber {
        var filter: Filter
        var continuation: AsyncStream<TwinEvent>.Continuation
    }

    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    private let closed = Atomic<Bool>(false)
    private let count = Atomic<Int>(0)

    public init() {}

    /// Whether anyone listens (checked before building telemetry events).
    public var hasSubscribers: Bool { self.count.load(ordering: .relaxed) > 0 }

    /// A stream of matching events; it ends when the consumer stops iterating.
    public func subscribe(_ filter: Filter, buffer: Int = 1000) -> AsyncStream<TwinEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<TwinEvent>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        if self.closed.load(ordering: .relaxed) {
            continuation.finish()
            return stream
        }
        self.subscribers.withLock { $0[id] = Subscriber(filter: filter, continuation: continuation) }
        self.count.add(1, ordering: .relaxed)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            if self.subscribers.withLock({ $0.removeValue(forKey: id) }) != nil { self.count.subtract(1, ordering: .relaxed) }
        }
        return stream
    }

    /// Ends every stream and refuses new ones (at shutdown, so that open event streams do not hold the
    /// HTTP server up).
    public func finishAll() {
        self.closed.store(true, ordering: .relaxed)
        let all = self.subscribers.withLock { $0.values.map(\.continuation) }
        for continuation in all { continuation.finish() }
    }

    /// Delivers an event to every matching subscriber.
    public func publish(_ event: TwinEvent) {
        guard self.hasSubscribers else { return }
        let targets = self.subscribers.withLock { $0.values.filter { $0.filter.matches(event) }.map(\.continuation) }
        for continuation in targets { continuation.yield(event) }
    }
}
