import MQTTCodec
import NIOCore
import Testing

@testable import MQTT

@Suite("Checks on a client's PUBLISH (§3.3), without NIO")
struct InboundPublishRulesTests {
    static func limits() -> BrokerLimits {
        var limits = BrokerLimits()
        limits.topicAliasMaximum = 4
        limits.maxTopicLength = 20
        limits.maxTopicLevels = 3
        limits.receiveMaximum = 2
        return limits
    }

    static func publish(_ topic: String, alias: UInt16? = nil, payload: [UInt8] = [1], format: UInt8? = nil) -> PublishPacket {
        var properties = Properties()
        properties.topicAlias = alias
        properties.payloadFormatIndicator = format
        return PublishPacket(topic: topic, payload: ByteBuffer(bytes: payload), properties: properties)
    }

    @Test("a topic alias is set by one PUBLISH and resolves the next")
    func aliases() {
        var rules = InboundPublishRules(limits: Self.limits())
        #expect(rules.check(Self.publish("a/b", alias: 1), qos2: nil) == .accept(topic: "a/b"))
        #expect(rules.check(Self.publish("", alias: 1), qos2: nil) == .accept(topic: "a/b"))
        #expect(rules.check(Self.publish("c", alias: 1), qos2: nil) == .accept(topic: "c"))
        #expect(rules.check(Self.publish("", alias: 1), qos2: nil) == .accept(topic: "c"))
    }

    @Test("an unknown or too large alias ends the connection with the right reason")
    func badAliases() {
        var rules = InboundPublishRules(limits: Self.limits())
        guard case .disconnect(let unknown) = rules.check(Self.publish("", alias: 2), qos2: nil) else {
            Issue.record("expected a disconnect")
            return
        }
        #expect(unknown.reasonCode == .protocolError)
        guard case .disconnect(let large) = rules.check(Self.publish("a", alias: 5), qos2: nil) else {
            Issue.record("expected a disconnect")
            return
        }
        #expect(large.reasonCode == .topicAliasInvalid)
    }

    @Test("topic limits and the payload format indicator refuse the message only")
    func refusals() {
        var rules = InboundPublishRules(limits: Self.limits())
        #expect(rules.check(Self.publish(String(repeating: "x", count: 21)), qos2: nil).reason == .topicNameInvalid)
        #expect(rules.check(Self.publish("a/b/c/d"), qos2: nil).reason == .topicNameInvalid)
        #expect(rules.check(Self.publish("a", payload: [0xFF], format: 1), qos2: nil).reason == .payloadFormatInvalid)
        #expect(rules.check(Self.publish("a", payload: Array("ü".utf8), format: 1), qos2: nil) == .accept(topic: "a"))
    }

    @Test("the receive maximum counts new QoS 2 messages, not resends")
    func receiveMaximum() {
        var rules = InboundPublishRules(limits: Self.limits())
        let full = InboundPublishRules.QoS2State(unreleased: 2, isResend: false)
        let resend = InboundPublishRules.QoS2State(unreleased: 2, isResend: true)
        guard case .disconnect(let error) = rules.check(Self.publish("a"), qos2: full) else {
            Issue.record("expected a disconnect")
            return
        }
        #expect(error.reasonCode == .receiveMaximumExceeded)
        #expect(rules.check(Self.publish("a"), qos2: resend) == .accept(topic: "a"))
    }

    @Test("a subscription identifier from a client is a protocol error")
    func subscriptionIdentifier() {
        var rules = InboundPublishRules(limits: Self.limits())
        var publish = Self.publish("a")
        publish.properties.subscriptionIdentifiers = [3]
        guard case .disconnect(let error) = rules.check(publish, qos2: nil) else {
            Issue.record("expected a disconnect")
            return
        }
        #expect(error.reasonCode == .protocolError)
    }
}

extension InboundPublishRules.Verdict {
    /// The reason of a refusal, for compact expectations.
    var reason: ReasonCode? {
        if case .refuse(let reason, _) = self { return reason }
        return nil
    }
}
