import MQTTCodec
import NIOCore

/// The protocol checks every PUBLISH from a client passes before policy and routing (§3.3), kept in a
/// value type so that they are tested without NIO. It owns the connection's inbound topic aliases.
struct InboundPublishRules {
    /// The limits it enforces, copied one by one: it lives in every connection, so it stays small.
    private let topicAliasMaximum: Int
    private let maxTopicLength: Int
    private let maxTopicLevels: Int
    private let receiveMaximum: Int
    /// Topic aliases the client set on this connection (MQTT 5 §3.3.2.3.4).
    private(set) var aliases: [UInt16: String] = [:]

    init(limits: BrokerLimits) {
        self.topicAliasMaximum = limits.topicAliasMaximum
        self.maxTopicLength = limits.maxTopicLength
        self.maxTopicLevels = limits.maxTopicLevels
        self.receiveMaximum = limits.receiveMaximum
    }

    /// What to do with a PUBLISH.
    enum Verdict: Equatable {
        /// Go on with policy and routing, under this topic (resolved from an alias where needed).
        case accept(topic: String)
        /// Refuse this message only: MQTT 5 acknowledges QoS 1/2 with the reason, 3.1.1 closes.
        case refuse(ReasonCode, String)
        /// A protocol violation: close the connection with this error.
        case disconnect(MQTTDecodeError)
    }

    /// The incoming QoS 2 state of the session, for the receive maximum (§3.3.4).
    struct QoS2State {
        /// Packet ids received and not yet released.
        var unreleased: Int
        /// Whether this packet id is one of them (a resend, which does not count again).
        var isResend: Bool
    }

    /// Checks one PUBLISH and records the topic alias it sets.
    /// - Parameter qos2: the session's QoS 2 state; needed only for QoS 2 messages.
    mutating func check(_ publish: PublishPacket, qos2: QoS2State?) -> Verdict {
        if !publish.properties.subscriptionIdentifiers.isEmpty {
            // §3.3.4: subscription identifiers travel only from server to client.
            return .disconnect(.protocolError("a PUBLISH from a client must not carry a subscription identifier"))
        }
        var topic = publish.topic
        if let alias = publish.properties.topicAlias {
            guard alias <= self.topicAliasMaximum else {
                return .disconnect(
                    MQTTDecodeError(
                        reasonCode: .topicAliasInvalid,
                        message: "topic alias \(alias) exceeds the maximum of \(self.topicAliasMaximum)"))
            }
            if topic.isEmpty {
                guard let known = self.aliases[alias] else {
                    return .disconnect(.protocolError("topic alias \(alias) was never set on this connection"))
                }
                topic = known
            } else {
                self.aliases[alias] = topic
            }
        }
        if let problem = Self.topicProblem(topic, maxLength: self.maxTopicLength, maxLevels: self.maxTopicLevels) {
            return .refuse(.topicNameInvalid, problem)
        }
        if publish.properties.payloadFormatIndicator == 1, !MQTTString.isValidPayload(publish.payload.readableBytesView) {
            return .refuse(.payloadFormatInvalid, "payload is not UTF-8 as its format indicator says")
        }
        if let qos2, !qos2.isResend, qos2.unreleased >= self.receiveMaximum {
            return .disconnect(
                MQTTDecodeError(
                    reasonCode: .receiveMaximumExceeded,
                    message: "more than \(self.receiveMaximum) QoS 2 messages unreleased"))
        }
        return .accept(topic: topic)
    }

    /// Checks a topic name or filter against the configured length and level limits.
    /// - Returns: what is wrong, or `nil`.
    static func topicProblem(_ topic: String, maxLength: Int, maxLevels: Int) -> String? {
        if topic.utf8.count > maxLength {
            return "topic is \(topic.utf8.count) bytes long; the limit is \(maxLength)"
        }
        if topic.utf8.lazy.filter({ $0 == UInt8(ascii: "/") }).count + 1 > maxLevels {
            return "topic has more than \(maxLevels) levels"
        }
        return nil
    }
}
