import MQTTCodec
import TwinGuardCore

/// A QoS 1/2 message on its way to one session, queued or in flight.
struct OutgoingMessage: Sendable {
    var message: BrokerMessage
    /// The QoS it is delivered at: the lower of the message's and the subscription's.
    var qos: QoS
    var retainFlag: Bool
    var subscriptionIdentifiers: [Int]
    /// Order of first transmission, so that a resumed session resends in the original order.
    var sequence: UInt64 = 0
    var phase: StoredOutgoing.Phase = .queued

    func stored(packetID: UInt16?) -> StoredOutgoing {
        var message = self.message.stored
        message.qos = self.qos.rawValue
        message.retain = self.retainFlag
        return StoredOutgoing(
            packetID: packetID, phase: self.phase, message: message,
            subscriptionIdentifiers: self.subscriptionIdentifiers)
    }

    init(message: BrokerMessage, qos: QoS, retainFlag: Bool, subscriptionIdentifiers: [Int]) {
        self.message = message
        self.qos = qos
        self.retainFlag = retainFlag
        self.subscriptionIdentifiers = subscriptionIdentifiers
    }

    init?(stored: StoredOutgoing) {
        guard let message = BrokerMessage(stored: stored.message), let qos = QoS(rawValue: stored.message.qos) else {
            return nil
        }
        self.init(
            message: message, qos: qos, retainFlag: stored.message.retain,
            subscriptionIdentifiers: stored.subscriptionIdentifiers)
        self.phase = stored.phase
    }
}
