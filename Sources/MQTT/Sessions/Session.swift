import MQTTCodec
import NIOCore
import Synchronization
import TwinGuardCore

/// An MQTT session (§4.1): subscriptions, messages in flight and queued, and QoS 2 state, which may
/// outlive the connection that created it.
///
/// Thread safety: all state is behind one lock per session, so publishers on different cores only
/// contend when they deliver to the same session.
final class Session: Sendable {
    let key: SessionKey
    /// The device twin whose certificate opened the session: the twin presence is reported for. `nil` for
    /// users and development clients, whose sessions say nothing about any twin's presence.
    let ownerTwin: String?
    /// The principal that owns the session (``TwinGuardCore/Principal/ownerKey``): only it may resume or take
    /// it over. `nil` only for a session restored from before owners were recorded, until one claims it.
    private let owner: Mutex<String?>
    /// The topic space of the session's tenant.
    let space: TopicSpace
    let limits: BrokerLimits
    let statistics: BrokerStatistics
    private let dirtyTracker: DirtyTracker
    let state: Mutex<State>
    private let connected = Atomic<Bool>(false)

    struct State: Sendable {
        var connection: ActiveConnection?
        var version: ProtocolVersion
        /// Seconds the session outlives its connection; 0 ends it with the connection.
        var expiryInterval: UInt32
        var subscriptions: [String: SubscriptionOptions] = [:]
        var inflight: [UInt16: OutgoingMessage] = [:]
        // Most sessions never queue: start without storage.
        var queue = CircularBuffer<OutgoingMessage>(initialCapacity: 1)
        var incomingQoS2: Set<UInt16> = []
        var nextPacketID: UInt16 = 1
        var nextSequence: UInt64 = 0
        var disconnectedAt: Int64?
        var will: PendingWill?
        var willTask: Scheduled<Void>?
        var dirty = false
        /// The queue has been full since the last message it could take.
        var overflowing = false
    }

    init(
        key: SessionKey, space: TopicSpace, version: ProtocolVersion, expiryInterval: UInt32, limits: BrokerLimits,
        statistics: BrokerStatistics, dirtyTracker: DirtyTracker, ownerTwin: String? = nil, owner: String? = nil
    ) {
        self.key = key
        self.ownerTwin = ownerTwin
        // A session saved before owners were recorded belongs to its device, if it names one.
        self.owner = Mutex(owner ?? ownerTwin.map(Principal.ownerKey(ofDevice:)))
        self.space = space
        self.limits = limits
        self.statistics = statistics
        self.dirtyTracker = dirtyTracker
        self.state = Mutex(State(version: version, expiryInterval: expiryInterval))
    }

    /// Whether `owner` may resume or take over this session; a session without an owner is claimed by it.
    func admitsOwner(_ owner: String) -> Bool {
        self.owner.withLock { current in
            guard let known = current else {
                current = owner
                return true
            }
            return known == owner
        }
    }

    /// The owner key, for storage.
    var ownerKey: String? { self.owner.withLock { $0 } }

    /// Whether a client is connected to the session now (read without the lock).
    var isConnected: Bool { self.connected.load(ordering: .relaxed) }

    var expiryInterval: UInt32 { self.state.withLock { $0.expiryInterval } }

    /// Changes the expiry interval (CONNECT or MQTT 5 DISCONNECT).
    func setExpiryInterval(_ seconds: UInt32) {
        self.state.withLock { state in
            let wasPersistent = state.expiryInterval > 0
            state.expiryInterval = seconds
            if wasPersistent || seconds > 0 { self.markDirty(&state, force: true) }
        }
    }

    // MARK: Connection lifecycle

    /// What attaching a new connection displaced.
    struct AttachOutcome {
        /// The connection that held the session before (session takeover), to be closed.
        var previous: ActiveConnection?
        /// A will of the previous connection that must be published now.
        var willToPublish: BrokerMessage?
    }

    /// Attaches a connection, resends what was in flight and starts sending queued messages.
    func attach(
        _ connection: ActiveConnection, version: ProtocolVersion, expiryInterval: UInt32, will: PendingWill?,
        now: Int64
    ) -> AttachOutcome {
        self.state.withLock { state in
            var outcome = AttachOutcome(previous: state.connection)
            // A will still waiting for its delay is cancelled by the new connection (§3.1.3.2.2),
            // but the will of a connection taken over without delay goes out now.
            state.willTask?.cancel()
            state.willTask = nil
            if outcome.previous != nil, let old = state.will, old.delaySeconds == 0 {
                outcome.willToPublish = old.message
            }
            state.connection = connection
            state.version = version
            state.expiryInterval = expiryInterval
            state.will = will
            state.disconnectedAt = nil
            self.connected.store(true, ordering: .relaxed)
            self.resendInflight(&state, now: now)
            self.fillWindow(&state, now: now)
            self.markDirty(&state, force: false)
            return outcome
        }
    }

    /// What happens after a connection ended.
    struct DetachOutcome {
        /// The connection was the session's current one (not one already taken over).
        var wasCurrent = false
        /// Publish this will now.
        var willNow: BrokerMessage?
        /// Publish this will after the delay, unless the session resumes first.
        var delayedWill: PendingWill?
        /// The session ends with its connection (expiry 0).
        var endsSession = false
    }

    /// Detaches `writer`'s connection.
    /// - Parameter publishWill: false after a normal DISCONNECT, which discards the will.
    func detach(_ writer: ConnectionWriter, publishWill: Bool, now: Int64) -> DetachOutcome {
        self.state.withLock { state in
            guard let current = state.connection, current.writer === writer else { return DetachOutcome() }
            var outcome = DetachOutcome(wasCurrent: true)
            state.connection = nil
            state.disconnectedAt = now
            self.connected.store(false, ordering: .relaxed)
            if publishWill, let will = state.will {
                let delay = min(will.delaySeconds, state.expiryInterval)
                if delay == 0 {
                    outcome.willNow = will.message
                    state.will = nil
                } else {
                    outcome.delayedWill = PendingWill(message: will.message, delaySeconds: delay)
                }
            } else {
                state.will = nil
            }
            outcome.endsSession = state.expiryInterval == 0
            self.markDirty(&state, force: false)
            return outcome
        }
    }

    /// Takes the attached connection away (the session is ending), leaving the session disconnected.
    func takeConnection() -> ActiveConnection? {
        self.state.withLock { state in
            defer {
                state.connection = nil
                self.connected.store(false, ordering: .relaxed)
            }
            return state.connection
        }
    }

    /// Remembers the task that publishes a delayed will, so that a reconnect can cancel it.
    func setWillTask(_ task: Scheduled<Void>) {
        self.state.withLock { $0.willTask = task }
    }

    /// Takes the will for publishing when its delay has passed or the session ends.
    func takeWill() -> BrokerMessage? {
        self.state.withLock { state in
            state.willTask?.cancel()
            state.willTask = nil
            defer { state.will = nil }
            return state.connection == nil ? state.will?.message : nil
        }
    }

    /// Whether the session has been disconnected longer than its expiry interval.
    func isExpired(now: Int64) -> Bool {
        self.state.withLock { state in
            guard state.connection == nil, let since = state.disconnectedAt else { return false }
            if state.expiryInterval == UInt32.max { return false }
            return now - since >= Int64(state.expiryInterval) * 1_000_000_000
        }
    }

    // MARK: Subscriptions

    /// Records a subscription; returns whether one to the same filter existed.
    func addSubscription(_ filter: String, options: SubscriptionOptions) -> Bool {
        self.state.withLock { state in
            let existed = state.subscriptions.updateValue(options, forKey: filter) != nil
            self.markDirty(&state, force: false)
            return existed
        }
    }

    /// Forgets a subscription; returns whether it existed.
    func removeSubscription(_ filter: String) -> Bool {
        self.state.withLock { state in
            let existed = state.subscriptions.removeValue(forKey: filter) != nil
            self.markDirty(&state, force: false)
            return existed
        }
    }

    var subscriptions: [String: SubscriptionOptions] { self.state.withLock { $0.subscriptions } }

    /// How many filters the session subscribes to.
    var subscriptionCount: Int { self.state.withLock { $0.subscriptions.count } }

    /// Whether the session subscribes to `filter`.
    func hasSubscription(_ filter: String) -> Bool { self.state.withLock { $0.subscriptions[filter] != nil } }

    // MARK: Incoming QoS 2 (§4.3.3)

    /// Records an incoming QoS 2 packet id.
    /// - Returns: `true` the first time (route the message), `false` for a resend (do not route again).
    func receiveQoS2(_ packetID: UInt16) -> Bool {
        self.state.withLock { state in
            let inserted = state.incomingQoS2.insert(packetID).inserted
            if inserted { self.markDirty(&state, force: false) }
            return inserted
        }
    }

    /// Releases an incoming QoS 2 packet id on PUBREL; returns whether it was known.
    func releaseQoS2(_ packetID: UInt16) -> Bool {
        self.state.withLock { state in
            let known = state.incomingQoS2.remove(packetID) != nil
            if known { self.markDirty(&state, force: false) }
            return known
        }
    }

    /// How many QoS 2 messages are unreleased, and whether `packetID` is one of them, under one lock.
    func incomingQoS2State(for packetID: UInt16) -> InboundPublishRules.QoS2State {
        self.state.withLock {
            InboundPublishRules.QoS2State(unreleased: $0.incomingQoS2.count, isResend: $0.incomingQoS2.contains(packetID))
        }
    }

    // MARK: Persistence

    func markDirty(_ state: inout State, force: Bool) {
        guard state.expiryInterval > 0 || force else { return }
        if !state.dirty {
            state.dirty = true
            self.dirtyTracker.markSession(self.key)
        }
    }

    /// The session as it is stored, clearing its dirty mark; `nil` when it is not persistent.
    func snapshotForStorage() -> StoredSession? {
        self.state.withLock { state in
            state.dirty = false
            guard state.expiryInterval > 0 else { return nil }
            let inflight = state.inflight.sorted { $0.value.sequence < $1.value.sequence }
                .map { $0.value.stored(packetID: $0.key) }
            return StoredSession(
                tenant: self.key.tenant, clientID: self.key.clientID, protocolVersion: state.version.rawValue,
                expiryInterval: state.expiryInterval,
                disconnectedAt: state.disconnectedAt,
                subscriptions: state.subscriptions.map { $0.value.stored(filter: $0.key) },
                outgoing: inflight + state.queue.map { $0.stored(packetID: nil) },
                incomingQoS2: state.incomingQoS2.sorted(), ownerTwin: self.ownerTwin,
                owner: self.ownerKey)
        }
    }

    /// Restores a stored session (at start-up); it is disconnected since the stored disconnect or now.
    func restore(_ stored: StoredSession, now: Int64) {
        self.state.withLock { state in
            state.disconnectedAt = stored.disconnectedAt ?? now
            for subscription in stored.subscriptions {
                if let options = SubscriptionOptions(stored: subscription) {
                    state.subscriptions[subscription.filter] = options
                }
            }
            for record in stored.outgoing {
                guard var outgoing = OutgoingMessage(stored: record) else { continue }
                state.nextSequence += 1
                outgoing.sequence = state.nextSequence
                if let id = record.packetID, outgoing.phase != .queued {
                    state.inflight[id] = outgoing
                } else {
                    outgoing.phase = .queued
                    state.queue.append(outgoing)
                }
            }
            state.incomingQoS2 = Set(stored.incomingQoS2)
        }
    }
}
