import MQTTCodec
import NIOCore
import Synchronization
import TwinGuardCore

extension Session {
    /// What became of a delivered message.
    enum DeliveryOutcome: Equatable {
        case sentOrQueued
        /// QoS 0 to a client that is away or does not keep up.
        case droppedBestEffort
        /// The session's queue is full; `firstOfEpisode` is true for the first drop since it last had room,
        /// so that an overflow is logged once, not once per message.
        case droppedQueueFull(firstOfEpisode: Bool)
    }

    /// Delivers a message to this session at `qos`: sent at once when the client is connected and its
    /// window has room, queued (QoS 1/2) otherwise, dropped when the queue is full.
    @discardableResult
    func deliver(
        _ message: BrokerMessage, qos: QoS, retainFlag: Bool, subscriptionIdentifiers: [Int], now: Int64
    ) -> DeliveryOutcome {
        self.state.withLock { state in
            if qos == .atMostOnce {
                // QoS 0 is never queued for offline clients, and dropped when the client does not keep up.
                guard var connection = state.connection, connection.writer.acceptsBestEffort else {
                    return .droppedBestEffort
                }
                let outgoing = OutgoingMessage(
                    message: message, qos: .atMostOnce, retainFlag: retainFlag,
                    subscriptionIdentifiers: subscriptionIdentifiers)
                _ = self.transmit(outgoing, packetID: nil, dup: false, over: &connection, now: now)
                state.connection = connection
                return .sentOrQueued
            }
            var outgoing = OutgoingMessage(
                message: message, qos: qos, retainFlag: retainFlag, subscriptionIdentifiers: subscriptionIdentifiers)
            state.nextSequence += 1
            outgoing.sequence = state.nextSequence
            defer { self.markDirty(&state, force: false) }
            if var connection = state.connection, state.inflight.count < connection.window, state.queue.isEmpty {
                let id = Self.allocatePacketID(&state)
                outgoing.phase = .awaitingAck
                // Too large for the client: discarded as if delivered (MQTT 5 §3.1.2.11.4), no slot held.
                if self.transmit(outgoing, packetID: id, dup: false, over: &connection, now: now) {
                    state.inflight[id] = outgoing
                }
                state.connection = connection
                return .sentOrQueued
            }
            guard state.queue.count < self.limits.maxQueuedMessages else {
                defer { state.overflowing = true }
                return .droppedQueueFull(firstOfEpisode: !state.overflowing)
            }
            state.overflowing = false
            state.queue.append(outgoing)
            return .sentOrQueued
        }
    }

    /// What the connection must send after an acknowledgement from the client.
    enum AckOutcome: Equatable {
        case nothing
        /// Answer a PUBREC with PUBREL (§4.3.3).
        case sendRelease
        /// The packet id is not in flight (MQTT 5 answers 0x92 where a response is due).
        case unknownPacketID
    }

    /// Processes PUBACK, PUBREC or PUBCOMP from the client and refills the window.
    func acknowledge(_ kind: PublishAckPacket.Kind, packetID: UInt16, reasonCode: ReasonCode, now: Int64) -> AckOutcome {
        self.state.withLock { state in
            guard let outgoing = state.inflight[packetID] else { return .unknownPacketID }
            var outcome = AckOutcome.nothing
            switch (kind, outgoing.qos, outgoing.phase) {
            case (.puback, .atLeastOnce, .awaitingAck), (.pubcomp, .exactlyOnce, .awaitingComplete):
                state.inflight[packetID] = nil
            case (.pubrec, .exactlyOnce, .awaitingAck):
                if reasonCode.isFailure {
                    // §4.3.3: a PUBREC with an error ends the exchange.
                    state.inflight[packetID] = nil
                } else {
                    state.inflight[packetID]?.phase = .awaitingComplete
                    outcome = .sendRelease
                }
            case (.pubrec, .exactlyOnce, .awaitingComplete):
                outcome = .sendRelease
            default:
                return .unknownPacketID
            }
            self.markDirty(&state, force: false)
            self.fillWindow(&state, now: now)
            return outcome
        }
    }


    static func allocatePacketID(_ state: inout State) -> UInt16 {
        while true {
            let id = state.nextPacketID
            state.nextPacketID = id == UInt16.max ? 1 : id + 1
            if state.inflight[id] == nil { return id }
        }
    }

    /// Resends what was in flight when the previous connection ended, in the original order (§4.4).
    func resendInflight(_ state: inout State, now: Int64) {
        guard var connection = state.connection, !state.inflight.isEmpty else { return }
        for (id, outgoing) in state.inflight.sorted(by: { $0.value.sequence < $1.value.sequence }) {
            if outgoing.phase == .awaitingComplete {
                connection.writer.send(.publishAck(PublishAckPacket(kind: .pubrel, packetID: id)))
            } else if !self.transmit(outgoing, packetID: id, dup: true, over: &connection, now: now) {
                state.inflight[id] = nil
            }
        }
        state.connection = connection
    }

    /// Moves queued messages into flight while the client's receive window has room.
    func fillWindow(_ state: inout State, now: Int64) {
        guard var connection = state.connection else { return }
        while state.inflight.count < connection.window, var next = state.queue.popFirst() {
            if next.message.isExpired(now: now) {
                self.statistics.publishDropped.add(1, ordering: .relaxed)
                continue
            }
            let id = Self.allocatePacketID(&state)
            next.phase = .awaitingAck
            if self.transmit(next, packetID: id, dup: false, over: &connection, now: now) {
                state.inflight[id] = next
            }
        }
        state.connection = connection
    }

    /// Encodes one PUBLISH for `connection`: subscription identifiers, remaining expiry, outgoing
    /// topic alias, and the client's maximum packet size (MQTT 5 §3.1.2.11.4: too large is dropped).
    /// - Returns: `false` when the message was too large for the client and was dropped.
    func transmit(
        _ outgoing: OutgoingMessage, packetID: UInt16?, dup: Bool, over connection: inout ActiveConnection, now: Int64
    ) -> Bool {
        let message = outgoing.message
        var packet = PublishPacket(
            topic: message.topic, payload: message.payload, qos: outgoing.qos, retain: outgoing.retainFlag,
            dup: dup, packetID: packetID)
        if connection.version.hasProperties {
            packet.properties = message.properties
            packet.properties.subscriptionIdentifiers = outgoing.subscriptionIdentifiers
            packet.properties.messageExpiryInterval = message.remainingExpirySeconds(now: now)
        }
        // Sizing encodes the properties, so it is skipped for clients that set no maximum.
        guard
            connection.maximumPacketSize == Int.max
                || MQTTPacket.publish(packet).encodedSize(version: connection.version) <= connection.maximumPacketSize
        else {
            self.statistics.publishDropped.add(1, ordering: .relaxed)
            return false
        }
        if connection.topicAliasMaximum > 0 {
            if let alias = connection.aliases[message.topic] {
                packet.topic = ""
                packet.properties.topicAlias = alias
            } else if connection.aliases.count < Int(connection.topicAliasMaximum) {
                let alias = UInt16(connection.aliases.count + 1)
                connection.aliases[message.topic] = alias
                packet.properties.topicAlias = alias
            }
        }
        connection.writer.send(.publish(packet))
        self.statistics.publishSent.add(1, ordering: .relaxed)
        self.statistics.messagesSent.add(1, ordering: .relaxed)
        return true
    }
}
