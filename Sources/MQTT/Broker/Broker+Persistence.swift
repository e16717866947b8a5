import Logging
import MQTTCodec
import Synchronization
import TwinGuardCore

extension Broker {
    /// Gathers what changed since the last call, for ``BrokerStateStore/saveBrokerState(_:)``.
    public func collectChanges() -> BrokerStateChanges {
        let (sessionKeys, retainedKeys) = self.dirty.take()
        var changes = BrokerStateChanges()
        for key in sessionKeys {
            if let session = self.session(for: key), let stored = session.snapshotForStorage() {
                changes.upsertedSessions.append(stored)
            } else {
                changes.deletedSessions.append(key)
            }
        }
        self.storedSessions.withLock { stored in
            for session in changes.upsertedSessions {
                stored.insert(SessionKey(tenant: session.tenant, clientID: session.clientID))
            }
            for key in changes.deletedSessions { stored.remove(key) }
        }
        for key in retainedKeys {
            if let message = self.space(for: key.tenant).retained.message(for: key.topic) {
                changes.upsertedRetained.append(StoredRetained(tenant: key.tenant, message: message.stored))
            } else {
                changes.deletedRetained.append(key)
            }
        }
        return changes
    }

    /// Loads retained messages and persistent sessions at start-up, before any listener opens.
    public func restore(_ snapshot: BrokerSnapshot) {
        let now = self.clock.nowNanoseconds()
        for record in snapshot.retained {
            guard let message = BrokerMessage(stored: record.message, retain: true), !message.isExpired(now: now) else {
                continue
            }
            let change = self.space(for: record.tenant).retained.retain(message)
            self.statistics.retainedMessages.add(change, ordering: .relaxed)
        }
        for stored in snapshot.sessions {
            guard let version = ProtocolVersion(rawValue: stored.protocolVersion) else { continue }
            let key = SessionKey(tenant: stored.tenant, clientID: stored.clientID)
            let space = self.space(for: stored.tenant)
            let session = self.restoredSession(key: key, space: space, version: version, stored: stored)
            session.restore(stored, now: now)
            self.storedSessions.withLock { _ = $0.insert(key) }
            let owner = session.ownerKey ?? ""
            var dropped = 0
            for (raw, options) in session.subscriptions.sorted(by: { $0.key < $1.key }) {
                guard let filter = TopicFilter(raw) else { continue }
                // A session saved before the caps existed (or under larger ones) keeps what fits today.
                guard session.subscriptionCount <= self.limits.maxSubscriptionsPerSession, self.subscriptionQuota.reserve(owner) else {
                    _ = session.removeSubscription(raw)
                    dropped += 1
                    continue
                }
                space.subscriptions.subscribe(session, to: filter, options: options)
                self.statistics.subscriptions.add(1, ordering: .relaxed)
            }
            if dropped > 0 {
                self.logger.warning(
                    "restored session over its subscription limit: subscriptions dropped",
                    metadata: ["mqtt.client_id": "\(stored.clientID)", "mqtt.subscriptions_dropped": "\(dropped)"])
            }
        }
    }
}
