import MQTTCodec
import NIOCore
import Testing

/// Encodes a packet and decodes it again through the frame decoder.
func roundTrip(_ packet: MQTTPacket, version: ProtocolVersion) throws -> MQTTPacket {
    var buffer = ByteBuffer()
    packet.write(to: &buffer, version: version)
    #expect(buffer.readableBytes == packet.encodedSize(version: version))
    let decoder = MQTTFrameDecoder(maximumPacketSize: 1 << 20)
    let frame = try #require(try decoder.decodeFrame(&buffer))
    #expect(buffer.readableBytes == 0)
    return try MQTTPacket.decode(frame, version: version)
}

@Suite("Every packet type round-trips in both protocol versions")
struct PacketRoundTripTests {
    static let versions: [ProtocolVersion] = [.v3_1_1, .v5]

    static func richProperties() -> Properties {
        var properties = Properties()
        properties.payloadFormatIndicator = 1
        properties.messageExpiryInterval = 3600
        properties.contentType = "application/json"
        properties.responseTopic = "reply/here"
        properties.correlationData = [1, 2, 3]
        properties.userProperties = [UserProperty(name: "a", value: "1"), UserProperty(name: "a", value: "2")]
        return properties
    }

    @Test("CONNECT with will, credentials and properties", arguments: versions)
    func connect(version: ProtocolVersion) throws {
        var properties = Properties()
        if version == .v5 {
            properties.sessionExpiryInterval = 120
            properties.receiveMaximum = 10
            properties.maximumPacketSize = 4096
            properties.topicAliasMaximum = 5
            properties.requestResponseInformation = 1
            properties.requestProblemInformation = 0
            properties.userProperties = [UserProperty(name: "k", value: "v")]
        }
        var willProperties = Properties()
        if version == .v5 {
            willProperties = Self.richProperties()
            willProperties.willDelayInterval = 5
        }
        let packet = MQTTPacket.connect(
            ConnectPacket(
                protocolVersion: version, clientID: "client-é", cleanStart: false, keepAlive: 30, username: "user",
                password: [0, 1, 2],
                will: ConnectPacket.Will(topic: "will/t", payload: [9, 9], qos: .exactlyOnce, retain: true, properties: willProperties),
                properties: properties))
        #expect(try roundTrip(packet, version: version) == packet)
    }

    @Test("CONNACK", arguments: versions)
    func connAck(version: ProtocolVersion) throws {
        var properties = Properties()
        if version == .v5 {
            properties.assignedClientIdentifier = "auto-1"
            properties.serverKeepAlive = 30
            properties.receiveMaximum = 100
            properties.topicAliasMaximum = 10
            properties.maximumPacketSize = 1000
            properties.retainAvailable = 1
            properties.wildcardSubscriptionAvailable = 1
            properties.subscriptionIdentifiersAvailable = 1
            properties.sharedSubscriptionAvailable = 1
            properties.reasonString = "welcome"
            properties.responseInformation = "response/x"
        }
        let packet = MQTTPacket.connack(ConnAckPacket(sessionPresent: true, reasonCode: .success, properties: properties))
        #expect(try roundTrip(packet, version: version) == packet)
    }

    @Test("PUBLISH at each QoS", arguments: versions, QoS.allCases)
    func publish(version: ProtocolVersion, qos: QoS) throws {
        var properties = version == .v5 ? Self.richProperties() : Properties()
        if version == .v5 {
            properties.subscriptionIdentifiers = [1, 268_435_455]
            properties.topicAlias = 3
        }
        let packet = MQTTPacket.publish(
            PublishPacket(
                topic: "a/b/c", payload: ByteBuffer(bytes: [0, 1, 2, 255]), qos: qos, retain: true,
                dup: qos != .atMostOnce, packetID: qos == .atMostOnce ? nil : 42, properties: properties))
        #expect(try roundTrip(packet, version: version) == packet)
    }

    @Test("PUBACK, PUBREC, PUBREL, PUBCOMP", arguments: versions)
    func acknowledgements(version: ProtocolVersion) throws {
        for kind in [PublishAckPacket.Kind.puback, .pubrec, .pubrel, .pubcomp] {
            let plain = MQTTPacket.publishAck(PublishAckPacket(kind: kind, packetID: 7))
            #expect(try roundTrip(plain, version: version) == plain)
            if version == .v5 {
                var properties = Properties()
                properties.reasonString = "why"
                let detailed = MQTTPacket.publishAck(
                    PublishAckPacket(kind: kind, packetID: 8, reasonCode: .notAuthorized, properties: properties))
                #expect(try roundTrip(detailed, version: version) == detailed)
            }
        }
    }

    @Test("SUBSCRIBE with options and SUBACK", arguments: versions)
    func subscribe(version: ProtocolVersion) throws {
        var properties = Properties()
        if version == .v5 { properties.subscriptionIdentifiers = [77] }
        let requests =
            version == .v5
            ? [
                SubscriptionRequest(filter: "a/+", qos: .atLeastOnce, noLocal: true, retainAsPublished: true, retainHandling: .sendIfNew),
                SubscriptionRequest(filter: "$share/g/b/#", qos: .exactlyOnce, retainHandling: .doNotSend),
            ]
            : [SubscriptionRequest(filter: "a/+", qos: .atLeastOnce), SubscriptionRequest(filter: "#", qos: .atMostOnce)]
        let packet = MQTTPacket.subscribe(SubscribePacket(packetID: 3, subscriptions: requests, properties: properties))
        #expect(try roundTrip(packet, version: version) == packet)
        let ack = MQTTPacket.subscribeAck(
            SubscribeAckPacket(kind: .suback, packetID: 3, reasonCodes: [.grantedQoS1, .grantedQoS2]))
        #expect(try roundTrip(ack, version: version) == ack)
    }

    @Test("UNSUBSCRIBE and UNSUBACK", arguments: versions)
    func unsubscribe(version: ProtocolVersion) throws {
        let packet = MQTTPacket.unsubscribe(UnsubscribePacket(packetID: 4, filters: ["a/b", "c/#"]))
        #expect(try roundTrip(packet, version: version) == packet)
        let codes: [ReasonCode] = version == .v5 ? [.success, .noSubscriptionExisted] : []
        let ack = MQTTPacket.subscribeAck(SubscribeAckPacket(kind: .unsuback, packetID: 4, reasonCodes: codes))
        #expect(try roundTrip(ack, version: version) == ack)
    }

    @Test("PINGREQ, PINGRESP, DISCONNECT", arguments: versions)
    func smallPackets(version: ProtocolVersion) throws {
        #expect(try roundTrip(.pingreq, version: version) == .pingreq)
        #expect(try roundTrip(.pingresp, version: version) == .pingresp)
        #expect(try roundTrip(.disconnect(DisconnectPacket()), version: version) == .disconnect(DisconnectPacket()))
        if version == .v5 {
            var properties = Properties()
            properties.sessionExpiryInterval = 0
            properties.reasonString = "bye"
            let packet = MQTTPacket.disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage, properties: properties))
            #expect(try roundTrip(packet, version: version) == packet)
        }
    }

    @Test("AUTH (MQTT 5 only)")
    func auth() throws {
        var properties = Properties()
        properties.authenticationMethod = "SCRAM-SHA-1"
        properties.authenticationData = [1, 2]
        let packet = MQTTPacket.auth(DisconnectPacket(reasonCode: .continueAuthentication, properties: properties))
        #expect(try roundTrip(packet, version: .v5) == packet)
    }

    @Test("MQTT 3.1 (MQIsdp) CONNECT is accepted")
    func mqtt31() throws {
        let packet = MQTTPacket.connect(ConnectPacket(protocolVersion: .v3_1, clientID: "old"))
        #expect(try roundTrip(packet, version: .v3_1) == packet)
    }

    @Test("variable byte integers at every length boundary",
          arguments: [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455])
    func variableInteger(value: Int) throws {
        var properties = Properties()
        properties.subscriptionIdentifiers = [max(value, 1)]
        let bytes = properties.storageBytes()
        #expect(try Properties.fromStorage(bytes) == properties)
    }
}
