import Logging
import MQTTCodec
import NIOCore
import Synchronization
import TwinGuardCore

/// The MQTT broker's shared state: sessions, the topic space of each tenant, statistics and limits.
///
/// Connections (``MQTTConnectionHandler``) call into it from their event loops; nothing here blocks.
public final class Broker: Sendable {
    public let limits: BrokerLimits
    public let statistics = BrokerStatistics()
    let authorizer: any Authorizer
    let logger: Logger
    let dirty = DirtyTracker()
    let keepAliveMonitors = PerEventLoop { KeepAliveMonitor(eventLoop: $0) }
    let acknowledgementInboxes = PerEventLoop { AcknowledgementInbox(eventLoop: $0) }
    /// Bounds the log lines about misbehaving clients (protocol violations, refused connections).
    let violationLog = LogRateLimiter(limit: 20)
    private let sessions = Mutex<[SessionKey: Session]>([:])
    private let spaces = Mutex<[TenantID: TopicSpace]>([:])
    private let openConnections = Atomic<Int>(0)
    /// Sessions that have a row in the store, so that sessions never stored cost no store work.
    let storedSessions = Mutex<Set<SessionKey>>([])
    /// Subscriptions held per principal (``BrokerLimits/maxSubscriptionsPerPrincipal``).
    let subscriptionQuota: SubscriptionQuota
    private let deviceMessageHandler = Mutex<(any DeviceMessageHandler)?>(nil)

    /// The platform's consumer of device messages (telemetry, reported state); set before listeners open.
    public func setDeviceMessageHandler(_ handler: any DeviceMessageHandler) {
        self.deviceMessageHandler.withLock { $0 = handler }
    }

    var deviceMessages: (any DeviceMessageHandler)? { self.deviceMessageHandler.withLock { $0 } }

    /// Where expiry (sessions, messages, wills) reads the time.
    public let clock: any NanosecondClock

    /// Creates a broker.
    /// - Parameters:
    ///   - limits: connection, packet and queue limits.
    ///   - authorizer: decides who connects and what each principal may publish and subscribe to.
    ///   - logger: the broker's logger (label `twinguard.mqtt`).
    ///   - clock: where session and message expiry read the time.
    public init(limits: BrokerLimits, authorizer: any Authorizer, logger: Logger, clock: any NanosecondClock = SystemClock()) {
        self.clock = clock
        self.limits = limits
        self.authorizer = authorizer
        self.logger = logger
        self.subscriptionQuota = SubscriptionQuota(limit: limits.maxSubscriptionsPerPrincipal)
    }

    /// The topic space of `tenant`, created on first use.
    func space(for tenant: TenantID) -> TopicSpace {
        self.spaces.withLock { spaces in
            if let space = spaces[tenant] { return space }
            let space = TopicSpace(tenant: tenant)
            spaces[tenant] = space
            return space
        }
    }

    // MARK: Connections

    /// Counts a new socket; `false` when the connection limit is reached and it must be closed.
    func admitConnection() -> Bool {
        let open = self.openConnections.add(1, ordering: .relaxed).newValue
        if open > self.limits.maxConnections {
            self.openConnections.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func releaseConnection() {
        self.openConnections.subtract(1, ordering: .relaxed)
    }

    /// The result of opening a session for a CONNECT.
    struct OpenedSession {
        let session: Session
        let sessionPresent: Bool
    }

    /// Finds or creates the session of a connecting client and attaches the connection to it (§3.1.4):
    /// a connected client with the same id is taken over, Clean Start discards the old session.
    /// `announce` sends the CONNACK, before anything the resumed session resends.
    func openSession(
        key: SessionKey, cleanStart: Bool, connection: ActiveConnection, version: ProtocolVersion,
        expiryInterval: UInt32, will: PendingWill?, now: Int64, ownerTwin: String?, owner: String,
        announce: (_ sessionPresent: Bool) -> Void
    ) -> OpenedSession? {
        let space = self.space(for: key.tenant)
        let opened = self.sessions.withLock {
            sessions -> (session: Session, present: Bool, discarded: Session?)? in
            if let existing = sessions[key] {
                // A session belongs to the identity that made it: another device (or a user) using the same
                // client id must not take it over or read what is queued for it.
                guard existing.admitsOwner(owner) else { return nil }
                if !cleanStart { return (existing, true, nil) }
            }
            let fresh = Session(
                key: key, space: space, version: version, expiryInterval: expiryInterval, limits: self.limits,
                statistics: self.statistics, dirtyTracker: self.dirty, ownerTwin: ownerTwin, owner: owner)
            let old = sessions.updateValue(fresh, forKey: key)
            return (fresh, false, old)
        }
        guard let (session, present, discarded) = opened else { return nil }
        if let discarded {
            self.retire(discarded, takenOverBy: true)
        }
        // The CONNACK goes out before anything the session resends (§3.2).
        announce(present)
        let outcome = session.attach(connection, version: version, expiryInterval: expiryInterval, will: will, now: now)
        if let previous = outcome.previous {
            self.kick(previous, reason: .sessionTakenOver)
        }
        if let will = outcome.willToPublish {
            self.publish(will, in: space, now: now)
        }
        if !present {
            // A fresh session replaces any stored one with the same key.
            self.markSessionGone(key)
        }
        if let twin = session.ownerTwin { self.deviceMessages?.presenceChanged(tenant: key.tenant, clientID: twin, online: true) }
        return OpenedSession(session: session, sessionPresent: present)
    }

    /// Closes a connection that lost its session to another one, telling MQTT 5 clients why.
    private func kick(_ connection: ActiveConnection, reason: ReasonCode) {
        let disconnect: MQTTPacket? =
            connection.version.hasProperties ? .disconnect(DisconnectPacket(reasonCode: reason)) : nil
        connection.writer.close(after: disconnect)
    }

    /// Ends a session: removes its subscriptions, publishes a will still waiting, closes its connection.
    private func retire(_ session: Session, takenOverBy: Bool) {
        let now = self.clock.nowNanoseconds()
        let subscriptions = session.subscriptions
        self.subscriptionQuota.release(session.ownerKey ?? "", count: subscriptions.count)
        for (raw, _) in subscriptions {
            if let filter = TopicFilter(raw), session.space.subscriptions.unsubscribe(session, from: filter) {
                self.statistics.subscriptions.subtract(1, ordering: .relaxed)
            }
        }
        let current = session.takeConnection()
        if let will = session.takeWill() {
            self.publish(will, in: session.space, now: now)
        }
        if let current, takenOverBy {
            self.kick(current, reason: .sessionTakenOver)
        }
        self.markSessionGone(session.key)
    }

    /// Schedules the removal of a session's stored row, if it has one.
    private func markSessionGone(_ key: SessionKey) {
        if self.storedSessions.withLock({ $0.contains(key) }) {
            self.dirty.markSession(key)
        }
    }

    /// Handles the end of a connection: publishes or schedules the will, ends a non-persistent session.
    func connectionClosed(session: Session, writer: ConnectionWriter, publishWill: Bool, eventLoop: any EventLoop) {
        let now = self.clock.nowNanoseconds()
        let outcome = session.detach(writer, publishWill: publishWill, now: now)
        guard outcome.wasCurrent else { return }
        if let twin = session.ownerTwin {
            self.deviceMessages?.presenceChanged(tenant: session.key.tenant, clientID: twin, online: false)
        }
        if let will = outcome.willNow {
            self.publish(will, in: session.space, now: now)
        }
        if outcome.endsSession {
            let removed = self.sessions.withLock { sessions -> Bool in
                guard sessions[session.key] === session else { return false }
                sessions[session.key] = nil
                return true
            }
            if removed { self.retire(session, takenOverBy: false) }
        } else if let delayed = outcome.delayedWill {
            let task = eventLoop.scheduleTask(in: .seconds(Int64(delayed.delaySeconds))) {
                if let will = session.takeWill() {
                    self.publish(will, in: session.space, now: self.clock.nowNanoseconds())
                }
            }
            session.setWillTask(task)
        }
    }

    /// Removes sessions whose expiry interval has passed and retained messages that expired.
    public func removeExpired() {
        let now = self.clock.nowNanoseconds()
        let expired = self.sessions.withLock { sessions -> [Session] in
            let expired = sessions.values.filter { $0.isExpired(now: now) }
            for session in expired { sessions[session.key] = nil }
            return expired
        }
        for session in expired {
            self.logger.debug("session expired", metadata: ["mqtt.client_id": "\(session.key.clientID)"])
            self.retire(session, takenOverBy: false)
        }
        let spaces = self.spaces.withLock { Array($0.values) }
        for space in spaces {
            for topic in space.retained.removeExpired(now: now) {
                self.statistics.retainedMessages.subtract(1, ordering: .relaxed)
                self.dirty.markRetained(RetainedKey(tenant: space.tenant, topic: topic))
            }
        }
    }

    /// Closes every client connection (at shutdown); MQTT 5 clients are told the server is shutting down.
    public func disconnectAll() {
        let sessions = self.sessions.withLock { Array($0.values) }
        for session in sessions {
            let connection = session.state.withLock { $0.connection }
            if let connection { self.kick(connection, reason: .serverShuttingDown) }
        }
    }

    /// Closes the live connections of a device (revoked or blocked), telling MQTT 5 clients "not authorized".
    /// - Returns: how many connections were closed.
    public func disconnectDevice(tenant: TenantID, twin: String) -> Int {
        self.disconnectSessions { $0.key.tenant == tenant && $0.ownerTwin == twin }
    }

    /// Closes the live connections of the principal with this ``TwinGuardCore/Principal/ownerKey`` (a user that
    /// was disabled, deleted or lost rights), telling MQTT 5 clients "not authorized".
    /// - Returns: how many connections were closed.
    public func disconnectOwner(_ owner: String) -> Int {
        self.disconnectSessions { $0.ownerKey == owner }
    }

    private func disconnectSessions(where matches: (Session) -> Bool) -> Int {
        let sessions = self.sessions.withLock { $0.values.filter(matches) }
        var closed = 0
        for session in sessions {
            if let connection = session.state.withLock({ $0.connection }) {
                self.kick(connection, reason: .notAuthorized)
                closed += 1
            }
        }
        return closed
    }

    var sessionCount: Int { self.sessions.withLock { $0.count } }

    /// Creates and registers a session read back from the store.
    func restoredSession(key: SessionKey, space: TopicSpace, version: ProtocolVersion, stored: StoredSession) -> Session {
        let session = Session(
            key: key, space: space, version: version, expiryInterval: stored.expiryInterval, limits: self.limits,
            statistics: self.statistics, dirtyTracker: self.dirty, ownerTwin: stored.ownerTwin,
            owner: stored.owner)
        self.sessions.withLock { $0[key] = session }
        return session
    }

    func session(for key: SessionKey) -> Session? {
        self.sessions.withLock { $0[key] }
    }

    // MARK: Routing

    /// Routes a message to every matching session of its tenant and stores it if retained.
    /// - Returns: how many sessions it was delivered or queued to.
    @discardableResult
    func publish(_ message: BrokerMessage, in space: TopicSpace, now: Int64) -> Int {
        if message.retain {
            let change = space.retained.retain(message)
            if change != 0 { self.statistics.retainedMessages.add(change, ordering: .relaxed) }
            // `$SYS` statistics are regenerated at start, not stored.
            if !Self.isSystemTopic(message.topic) {
                self.dirty.markRetained(RetainedKey(tenant: space.tenant, topic: message.topic))
            }
        }
        let deliveries = space.subscriptions.match(topic: message.topic, publisher: message.publisher)
        var delivered = 0
        for delivery in deliveries {
            let qos = min(message.qos, delivery.qos)
            // §3.3.1.3: the retain flag is kept only where the subscription asked for Retain As Published.
            let retainFlag = message.retain && delivery.retainAsPublished
            switch delivery.session.deliver(
                message, qos: qos, retainFlag: retainFlag, subscriptionIdentifiers: delivery.subscriptionIdentifiers,
                now: now)
            {
            case .sentOrQueued:
                delivered += 1
            case .droppedBestEffort:
                self.statistics.publishDropped.add(1, ordering: .relaxed)
            case .droppedQueueFull(let firstOfEpisode):
                self.statistics.queueOverflows.add(1, ordering: .relaxed)
                self.statistics.publishDropped.add(1, ordering: .relaxed)
                if firstOfEpisode {
                    self.logger.warning(
                        "session queue full, dropping messages until it has room",
                        metadata: [
                            "mqtt.client_id": "\(delivery.session.key.clientID)",
                            "limits.max_queued_messages": "\(self.limits.maxQueuedMessages)",
                        ])
                }
            }
        }
        return delivered
    }

    /// Whether `topic` is one of the broker's own `$SYS` statistics topics.
    static func isSystemTopic(_ topic: String) -> Bool {
        topic == "$SYS" || topic.hasPrefix("$SYS/")
    }

    /// Publishes a server-originated message to devices (desired state, commands) in `tenant`.
    /// A request (a command) carries MQTT 5's response topic and correlation data.
    public func publishInternal(
        topic: String, payload: [UInt8], qos: QoS, retain: Bool, tenant: TenantID, responseTopic: String? = nil,
        correlationData: [UInt8]? = nil
    ) {
        var properties = Properties()
        properties.responseTopic = responseTopic
        properties.correlationData = correlationData
        if responseTopic != nil { properties.contentType = "application/json" }
        let message = BrokerMessage(
            topic: topic, payload: ByteBuffer(bytes: payload), qos: qos, retain: retain,
            properties: properties, expiresAt: nil, publisher: nil)
        self.publish(message, in: self.space(for: tenant), now: self.clock.nowNanoseconds())
    }

    /// Publishes a broker-generated message (such as `$SYS` statistics) in `tenant`.
    public func publishInternal(topic: String, payload: String, retain: Bool, tenant: TenantID = .default) {
        let message = BrokerMessage(
            topic: topic, payload: ByteBuffer(string: payload), qos: .atMostOnce, retain: retain,
            properties: Properties(), expiresAt: nil, publisher: nil)
        self.publish(message, in: self.space(for: tenant), now: self.clock.nowNanoseconds())
    }
}

extension Broker: ConnectionCloser {}
