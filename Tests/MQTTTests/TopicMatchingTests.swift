import MQTTCodec
import Testing
import TwinGuardCore

@testable import MQTT

@Suite("Topic matching (§4.7)")
struct TopicMatchingTests {
    @Test("filter matches topic", arguments: [
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        ("sport/#", "sport", true),
        ("sport/tennis/+", "sport/tennis/player1", true),
        ("sport/tennis/+", "sport/tennis/player1/ranking", false),
        ("sport/+", "sport", false),
        ("sport/+", "sport/", true),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+", "/finance", false),
        ("#", "$SYS/broker", false),
        ("+/monitor/Clients", "$SYS/monitor/Clients", false),
        ("$SYS/#", "$SYS/broker", true),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        ("a/b", "a/b", true),
        ("a/b", "a/c", false),
    ])
    func matches(filter: String, topic: String, expected: Bool) {
        #expect(TopicFilter.matches(filter: filter, topic: topic) == expected)
    }

    @Test("shared subscription filters parse into group and filter")
    func sharedFilter() throws {
        let filter = try #require(TopicFilter("$share/workers/jobs/+"))
        #expect(filter.shareGroup == "workers")
        #expect(filter.filter == "jobs/+")
        #expect(TopicFilter("$share/wo+rk/jobs") == nil)
        #expect(TopicFilter("$share/group") == nil)
        #expect(TopicFilter("$share//jobs") == nil)
    }

    @Test("the subscription tree merges overlapping subscriptions and prunes on unsubscribe")
    func tree() throws {
        let space = TopicSpace(tenant: .default)
        let session = Session(
            key: SessionKey(tenant: .default, clientID: "c"), space: space, version: .v5, expiryInterval: 0,
            limits: BrokerLimits(), statistics: BrokerStatistics(), dirtyTracker: DirtyTracker())
        let exact = try #require(TopicFilter("a/b"))
        let wildcard = try #require(TopicFilter("a/#"))
        space.subscriptions.subscribe(session, to: exact, options: SubscriptionOptions(qos: .atMostOnce, subscriptionIdentifier: 1))
        space.subscriptions.subscribe(session, to: wildcard, options: SubscriptionOptions(qos: .exactlyOnce, subscriptionIdentifier: 2))
        let deliveries = space.subscriptions.match(topic: "a/b", publisher: nil)
        #expect(deliveries.count == 1)
        #expect(deliveries.first?.qos == .exactlyOnce)
        #expect(deliveries.first?.subscriptionIdentifiers.sorted() == [1, 2])
        #expect(space.subscriptions.unsubscribe(session, from: exact))
        #expect(space.subscriptions.unsubscribe(session, from: wildcard))
        #expect(!space.subscriptions.unsubscribe(session, from: wildcard))
        #expect(space.subscriptions.match(topic: "a/b", publisher: nil).isEmpty)
    }
}
