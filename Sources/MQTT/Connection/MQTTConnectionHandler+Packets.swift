import Logging
import MQTTCodec
import NIOCore
import Synchronization
import TwinGuardCore

extension MQTTConnectionHandler {
    /// Dispatches one packet of a connected client.
    func handle(_ packet: MQTTPacket, context: ChannelHandlerContext) {
        guard case .connected(var client) = self.phase else { return }
        switch packet {
        case .publish(let publish):
            self.handlePublish(publish, client: &client, context: context)
            // Keep the aliases the PUBLISH set, without undoing a close decided meanwhile.
            if case .connected(var current) = self.phase {
                current.publishRules = client.publishRules
                self.phase = .connected(current)
            }
        case .publishAck(let ack):
            self.handleAck(ack, client: client)
        case .subscribe(let subscribe):
            self.handleSubscribe(subscribe, client: client, context: context)
        case .unsubscribe(let unsubscribe):
            self.handleUnsubscribe(unsubscribe, client: client)
        case .pingreq:
            client.writer.send(.pingresp)
        case .disconnect(let disconnect):
            self.handleDisconnect(disconnect, client: &client, context: context)
        case .connect:
            self.fail(.protocolError("a second CONNECT on one connection"), context: context)
        case .auth:
            self.fail(.protocolError("AUTH without an authentication method"), context: context)
        case .connack, .subscribeAck, .pingresp:
            self.fail(.protocolError("\(packet.name) is sent by servers only"), context: context)
        }
    }

    // MARK: PUBLISH (§3.3)

    private func handlePublish(_ publish: PublishPacket, client: inout ConnectedClient, context: ChannelHandlerContext) {
        let statistics = self.broker.statistics
        statistics.publishReceived.add(1, ordering: .relaxed)
        var qos2: InboundPublishRules.QoS2State?
        if publish.qos == .exactlyOnce, let id = publish.packetID {
            qos2 = client.session.incomingQoS2State(for: id)
        }
        let topic: String
        switch client.publishRules.check(publish, qos2: qos2) {
        case .accept(let resolved):
            topic = resolved
        case .refuse(let reason, let message):
            self.rejectPublish(publish, client: client, reason: reason, message: message, context: context)
            return
        case .disconnect(let error):
            self.fail(error, context: context)
            return
        }
        if Broker.isSystemTopic(topic) {
            // The broker's own statistics are read-only for clients (as on Mosquitto).
            self.broker.statistics.authorizationDenials.add(1, ordering: .relaxed)
            self.logViolation { $0.notice(
                "publish denied", metadata: ["mqtt.topic": "\(topic)", "auth.decision": "deny", "auth.reason": "$SYS is read-only"]) }
            self.rejectPublish(publish, client: client, reason: .notAuthorized, message: "$SYS topics are read-only", context: context)
            return
        }
        if case .deny(let why) = self.broker.authorizer.authorize(.publish(topic: topic), for: client.principal) {
            statistics.authorizationDenials.add(1, ordering: .relaxed)
            self.logViolation { $0.notice(
                "publish denied", metadata: ["mqtt.topic": "\(topic)", "auth.decision": "deny", "auth.reason": "\(why)"]) }
            self.rejectPublish(publish, client: client, reason: .notAuthorized, message: "not authorized to publish to '\(topic)'", context: context)
            return
        }
        if case .exceeded(let why, let disconnect) = self.broker.authorizer.admit(
            messageOf: publish.payload.readableBytes + topic.utf8.count, from: client.principal)
        {
            statistics.quotaExceeded.add(1, ordering: .relaxed)
            self.logViolation {
                $0.notice("publish over quota", metadata: ["mqtt.topic": "\(topic)", "auth.decision": "deny", "auth.reason": "\(why)"])
            }
            if disconnect {
                var properties = Properties()
                properties.reasonString = why
                let packet: MQTTPacket? =
                    client.version.hasProperties ? .disconnect(DisconnectPacket(reasonCode: .quotaExceeded, properties: properties)) : nil
                client.writer.close(after: packet)
                client.disconnectedNormally = false
                client.closing = true
                return
            }
            self.rejectPublish(publish, client: client, reason: .quotaExceeded, message: why, context: context)
            return
        }
        let now = self.broker.clock.nowNanoseconds()
        let message = BrokerMessage(publish: publish, topic: topic, publisher: ObjectIdentifier(client.session), now: now)
        let consumer = self.broker.deviceMessages.flatMap { $0.handles(topic: topic) ? $0 : nil }
        switch publish.qos {
        case .atMostOnce:
            self.broker.publish(message, in: client.session.space, now: now)
            if consumer != nil { self.consumed.append((Self.deviceMessage(publish, topic: topic), nil, nil)) }
        case .atLeastOnce:
            let delivered = self.broker.publish(message, in: client.session.space, now: now)
            // A message the platform stores has a receiver even when no client subscribed.
            let reason = consumer == nil ? Self.routedReason(delivered, client) : .success
            let ack = PublishAckPacket(kind: .puback, packetID: publish.packetID ?? 0, reasonCode: reason)
            if consumer != nil {
                self.acknowledge(afterStoring: publish, topic: topic, ack: ack)
            } else {
                self.acknowledge(ack, client: client)
            }
        case .exactlyOnce:
            let id = publish.packetID ?? 0
            var delivered = 1
            // §4.3.3: route only the first time this packet id arrives; a resend is only acknowledged.
            let first = client.session.receiveQoS2(id)
            if first {
                delivered = self.broker.publish(message, in: client.session.space, now: now)
            }
            let reason = consumer == nil ? Self.routedReason(delivered, client) : .success
            let ack = PublishAckPacket(kind: .pubrec, packetID: id, reasonCode: reason)
            if first, consumer != nil {
                self.acknowledge(afterStoring: publish, topic: topic, ack: ack)
            } else {
                self.acknowledge(ack, client: client)
            }
        }
    }

    /// Sends an acknowledgement now, or after the ones still waiting for storage.
    private func acknowledge(_ ack: PublishAckPacket, client: ConnectedClient) {
        for packet in self.acknowledgements.ready(ack) { client.writer.send(.publishAck(packet)) }
    }

    /// Queues the message for the platform; it is acknowledged once stored (or with the refusal) after the
    /// read burst hands the queue over (``flushConsumed(context:)``).
    private func acknowledge(afterStoring publish: PublishPacket, topic: String, ack: PublishAckPacket) {
        self.consumed.append((Self.deviceMessage(publish, topic: topic), self.acknowledgements.reserve(), ack))
    }

    private static func deviceMessage(_ publish: PublishPacket, topic: String) -> DeviceMessage {
        DeviceMessage(topic: topic, payload: Array(publish.payload.readableBytesView), correlationData: publish.properties.correlationData)
    }

    /// Hands the messages of one read burst to the platform together (one store write and one sync for
    /// all their telemetry) and sends each acknowledgement, in order, once its message is stored.
    func flushConsumed(context: ChannelHandlerContext) {
        guard !self.consumed.isEmpty, case .connected(let client) = self.phase, let consumer = self.broker.deviceMessages else {
            self.consumed.removeAll()
            return
        }
        let batch = self.consumed
        self.consumed.removeAll(keepingCapacity: true)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let writer = client.writer
        let inbox = self.acknowledgementInbox(context)
        let problemInformation = client.sendsProblemInformation
        let hasProperties = client.version.hasProperties
        let pending = batch.map { ($0.token, $0.ack) }
        consumer.handle(batch: batch.map(\.message), principal: client.principal) { outcomes in
            var decided: [(UInt64, PublishAckPacket)] = []
            for ((token, ack), outcome) in zip(pending, outcomes) {
                guard let token, var packet = ack else { continue }
                if case .refused(let refusal, let reason) = outcome, hasProperties {
                    packet.reasonCode = Self.reasonCode(refusal)
                    if problemInformation { packet.properties.reasonString = reason }
                }
                decided.append((token, packet))
            }
            guard !decided.isEmpty else { return }
            let ready = decided
            inbox.post {
                for (token, packet) in ready {
                    for sendable in handler.value.acknowledgements.complete(token, with: packet) { writer.send(.publishAck(sendable)) }
                }
            }
        }
    }

    private static func reasonCode(_ refusal: DeviceMessageRefusal) -> ReasonCode {
        switch refusal {
        case .notAuthorized: .notAuthorized
        case .payloadFormatInvalid: .payloadFormatInvalid
        case .quotaExceeded: .quotaExceeded
        case .unavailable: .implementationSpecificError
        }
    }

    private static func routedReason(_ delivered: Int, _ client: ConnectedClient) -> ReasonCode {
        delivered == 0 && client.version.hasProperties ? .noMatchingSubscribers : .success
    }

    /// Refuses a PUBLISH: MQTT 5 acknowledges QoS 1/2 with the reason (QoS 0 is dropped); 3.1.1, which has
    /// no way to say no, loses its connection.
    private func rejectPublish(
        _ publish: PublishPacket, client: ConnectedClient, reason: ReasonCode, message: String,
        context: ChannelHandlerContext
    ) {
        guard client.version.hasProperties else {
            self.logViolation { $0.info("publish refused, closing 3.1.1 connection", metadata: ["error": "\(message)"]) }
            client.writer.close()
            self.markClosing()
            return
        }
        guard let id = publish.packetID else { return }
        var properties = Properties()
        if client.sendsProblemInformation { properties.reasonString = message }
        let kind: PublishAckPacket.Kind = publish.qos == .atLeastOnce ? .puback : .pubrec
        self.acknowledge(PublishAckPacket(kind: kind, packetID: id, reasonCode: reason, properties: properties), client: client)
    }

    /// Ignores everything the client sends from now on; the connection is closing.
    func markClosing() {
        if case .connected(var client) = self.phase {
            client.closing = true
            self.phase = .connected(client)
        }
    }

    // MARK: Acknowledgements (§3.4–§3.7)

    private func handleAck(_ ack: PublishAckPacket, client: ConnectedClient) {
        let now = self.broker.clock.nowNanoseconds()
        switch ack.kind {
        case .pubrel:
            let known = client.session.releaseQoS2(ack.packetID)
            let reason: ReasonCode = known || !client.version.hasProperties ? .success : .packetIdentifierNotFound
            client.writer.send(.publishAck(PublishAckPacket(kind: .pubcomp, packetID: ack.packetID, reasonCode: reason)))
        case .puback, .pubrec, .pubcomp:
            let outcome = client.session.acknowledge(ack.kind, packetID: ack.packetID, reasonCode: ack.reasonCode, now: now)
            switch outcome {
            case .sendRelease:
                client.writer.send(.publishAck(PublishAckPacket(kind: .pubrel, packetID: ack.packetID)))
            case .unknownPacketID where ack.kind == .pubrec:
                let reason: ReasonCode = client.version.hasProperties ? .packetIdentifierNotFound : .success
                client.writer.send(.publishAck(PublishAckPacket(kind: .pubrel, packetID: ack.packetID, reasonCode: reason)))
            case .unknownPacketID:
                self.logger.debug("acknowledgement for an unknown packet id", metadata: ["mqtt.packet_id": "\(ack.packetID)"])
            case .nothing:
                break
            }
        }
    }

    // MARK: SUBSCRIBE and UNSUBSCRIBE (§3.8, §3.10)

    private func handleSubscribe(_ subscribe: SubscribePacket, client: ConnectedClient, context: ChannelHandlerContext) {
        let identifier = subscribe.properties.subscriptionIdentifiers.first
        let space = client.session.space
        let now = self.broker.clock.nowNanoseconds()
        var codes: [ReasonCode] = []
        var retained: [(BrokerMessage, SubscriptionOptions)] = []
        for request in subscribe.subscriptions {
            guard let filter = TopicFilter(request.filter),
                InboundPublishRules.topicProblem(
                    filter.filter, maxLength: self.broker.limits.maxTopicLength,
                    maxLevels: self.broker.limits.maxTopicLevels) == nil
            else {
                codes.append(.topicFilterInvalid)
                continue
            }
            if filter.shareGroup != nil && request.noLocal && client.version.hasProperties {
                // §3.8.3.1: No Local on a shared subscription is a protocol error.
                self.fail(.protocolError("No Local is not allowed on shared subscription '\(request.filter)'"), context: context)
                return
            }
            if case .deny(let why) = self.broker.authorizer.authorize(.subscribe(filter: filter.filter), for: client.principal) {
                self.broker.statistics.authorizationDenials.add(1, ordering: .relaxed)
                self.logViolation { $0.notice(
                    "subscribe denied",
                    metadata: ["mqtt.filter": "\(request.filter)", "auth.decision": "deny", "auth.reason": "\(why)"]) }
                codes.append(.notAuthorized)
                continue
            }
            if !client.session.hasSubscription(request.filter) {
                // A new filter counts against the session's cap and its principal's.
                let owner = client.principal.ownerKey
                guard client.session.subscriptionCount < self.broker.limits.maxSubscriptionsPerSession,
                    self.broker.subscriptionQuota.reserve(owner)
                else {
                    self.logViolation {
                        $0.notice(
                            "subscription refused: quota",
                            metadata: ["mqtt.filter": "\(request.filter.prefix(200))", "auth.decision": "deny", "auth.principal": "\(client.principal)"])
                    }
                    self.broker.authorizer.noteRefusal(
                        client.principal, action: "mqtt.subscribe", target: "subscription quota",
                        reason: "at most \(self.broker.limits.maxSubscriptionsPerSession) subscriptions a session and "
                            + "\(self.broker.limits.maxSubscriptionsPerPrincipal) a principal")
                    codes.append(.quotaExceeded)
                    continue
                }
            }
            let options = SubscriptionOptions(request, identifier: identifier)
            let existed = client.session.addSubscription(request.filter, options: options)
            if !space.subscriptions.subscribe(client.session, to: filter, options: options) {
                self.broker.statistics.subscriptions.add(1, ordering: .relaxed)
            }
            codes.append(ReasonCode(rawValue: request.qos.rawValue))
            let sendRetained =
                filter.shareGroup == nil
                && (request.retainHandling == .sendOnSubscribe || (request.retainHandling == .sendIfNew && !existed))
            if sendRetained {
                retained += space.retained.matching(filter, now: now).map { ($0, options) }
            }
        }
        client.writer.send(.subscribeAck(SubscribeAckPacket(kind: .suback, packetID: subscribe.packetID, reasonCodes: codes)))
        for (message, options) in retained {
            client.session.deliver(
                message, qos: min(message.qos, options.qos), retainFlag: true,
                subscriptionIdentifiers: options.subscriptionIdentifier.map { [$0] } ?? [], now: now)
        }
    }

    private func handleUnsubscribe(_ unsubscribe: UnsubscribePacket, client: ConnectedClient) {
        var codes: [ReasonCode] = []
        for raw in unsubscribe.filters {
            guard let filter = TopicFilter(raw) else {
                codes.append(.topicFilterInvalid)
                continue
            }
            let existed = client.session.removeSubscription(raw)
            if existed { self.broker.subscriptionQuota.release(client.principal.ownerKey) }
            if client.session.space.subscriptions.unsubscribe(client.session, from: filter) {
                self.broker.statistics.subscriptions.subtract(1, ordering: .relaxed)
            }
            codes.append(existed ? .success : .noSubscriptionExisted)
        }
        client.writer.send(.subscribeAck(SubscribeAckPacket(kind: .unsuback, packetID: unsubscribe.packetID, reasonCodes: codes)))
    }

    // MARK: DISCONNECT (§3.14)

    private func handleDisconnect(_ disconnect: DisconnectPacket, client: inout ConnectedClient, context: ChannelHandlerContext) {
        if let expiry = disconnect.properties.sessionExpiryInterval {
            // §3.14.2.2.2: a session that was not persistent cannot be made persistent at DISCONNECT.
            if client.session.expiryInterval == 0 && expiry != 0 {
                self.fail(.protocolError("session expiry cannot be set at DISCONNECT when it was 0 at CONNECT"), context: context)
                return
            }
            client.session.setExpiryInterval(min(expiry, self.broker.limits.maxSessionExpirySeconds))
        }
        client.disconnectedNormally = disconnect.reasonCode != .disconnectWithWillMessage
        self.phase = .connected(client)
        context.close(promise: nil)
    }
}
