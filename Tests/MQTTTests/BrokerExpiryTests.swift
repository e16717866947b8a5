import Logging
import Testing
import TwinGuardCore

@testable import MQTT

/// Lets everyone in: these tests are about time, not access.
private struct AdmitAll: Authorizer {
    func authenticate(_ credentials: ConnectCredentials) async -> AuthenticationResult { .accepted(.localAdministrator) }
    func authorize(_ action: BrokerAction, for principal: Principal) -> AuthorizationDecision { .allow }
}

@Suite("Session and message expiry follow the broker's clock")
struct BrokerExpiryTests {
    static let tenant = TenantID.default

    static func broker(_ clock: ManualClock) -> Broker {
        Broker(limits: BrokerLimits(), authorizer: AdmitAll(), logger: Logger(label: "test"), clock: clock)
    }

    static func retained(_ topic: String, expiresAt: Int64?) -> StoredRetained {
        StoredRetained(
            tenant: Self.tenant,
            message: StoredMessage(topic: topic, payload: Array("on".utf8), qos: 1, retain: true, properties: [], expiresAt: expiresAt))
    }

    static func session(_ clientID: String, expiry: UInt32, disconnectedAt: Int64) -> StoredSession {
        StoredSession(
            tenant: Self.tenant, clientID: clientID, protocolVersion: 5, expiryInterval: expiry, disconnectedAt: disconnectedAt,
            subscriptions: [], outgoing: [], incomingQoS2: [])
    }

    @Test("a retained message lives until its expiry, then removeExpired drops it; one without expiry stays")
    func retainedExpiry() {
        let clock = ManualClock(at: 1_000_000_000_000)
        let broker = Self.broker(clock)
        let now = clock.nowNanoseconds()
        broker.restore(BrokerSnapshot(sessions: [], retained: [
            Self.retained("tg/default/a/state", expiresAt: now + 10_000_000_000), Self.retained("tg/default/b/state", expiresAt: nil),
        ]))
        let retained = broker.space(for: Self.tenant).retained
        clock.advance(by: .seconds(9))
        broker.removeExpired()
        #expect(retained.message(for: "tg/default/a/state") != nil)
        clock.advance(by: .seconds(2))
        broker.removeExpired()
        #expect(retained.message(for: "tg/default/a/state") == nil)
        #expect(retained.message(for: "tg/default/b/state") != nil)
    }

    @Test("an expired retained message is not restored at start")
    func expiredAtRestore() {
        let clock = ManualClock(at: 1_000_000_000_000)
        let broker = Self.broker(clock)
        broker.restore(BrokerSnapshot(sessions: [], retained: [Self.retained("tg/default/a/state", expiresAt: clock.nowNanoseconds() - 1)]))
        #expect(broker.space(for: Self.tenant).retained.message(for: "tg/default/a/state") == nil)
    }

    @Test("a disconnected session ends when its expiry interval has passed, one that never expires stays")
    func sessionExpiry() {
        let clock = ManualClock(at: 1_000_000_000_000)
        let broker = Self.broker(clock)
        let now = clock.nowNanoseconds()
        broker.restore(BrokerSnapshot(
            sessions: [
                Self.session("short", expiry: 60, disconnectedAt: now), Self.session("forever", expiry: UInt32.max, disconnectedAt: now),
            ], retained: []))
        let short = SessionKey(tenant: Self.tenant, clientID: "short")
        clock.advance(by: .seconds(59))
        broker.removeExpired()
        #expect(broker.session(for: short) != nil)
        clock.advance(by: .seconds(1))
        broker.removeExpired()
        #expect(broker.session(for: short) == nil)
        clock.advance(by: .seconds(365 * 86_400))
        broker.removeExpired()
        #expect(broker.session(for: SessionKey(tenant: Self.tenant, clientID: "forever")) != nil)
    }
}
