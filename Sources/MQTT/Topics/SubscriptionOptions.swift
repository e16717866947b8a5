import MQTTCodec
import TwinGuardCore

/// What a session asked for when it subscribed to one filter.
struct SubscriptionOptions: Sendable, Equatable {
    var qos: QoS
    var noLocal: Bool
    var retainAsPublished: Bool
    var retainHandling: RetainHandling
    var subscriptionIdentifier: Int?

    init(
        qos: QoS, noLocal: Bool = false, retainAsPublished: Bool = false,
        retainHandling: RetainHandling = .sendOnSubscribe, subscriptionIdentifier: Int? = nil
    ) {
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
        self.subscriptionIdentifier = subscriptionIdentifier
    }

    init(_ request: SubscriptionRequest, identifier: Int?) {
        self.init(
            qos: request.qos, noLocal: request.noLocal, retainAsPublished: request.retainAsPublished,
            retainHandling: request.retainHandling, subscriptionIdentifier: identifier)
    }

    func stored(filter: String) -> StoredSubscription {
        StoredSubscription(
            filter: filter, qos: self.qos.rawValue, noLocal: self.noLocal, retainAsPublished: self.retainAsPublished,
            retainHandling: self.retainHandling.rawValue, subscriptionIdentifier: self.subscriptionIdentifier)
    }

    init?(stored: StoredSubscription) {
        guard let qos = QoS(rawValue: stored.qos), let handling = RetainHandling(rawValue: stored.retainHandling) else {
            return nil
        }
        self.init(
            qos: qos, noLocal: stored.noLocal, retainAsPublished: stored.retainAsPublished, retainHandling: handling,
            subscriptionIdentifier: stored.subscriptionIdentifier)
    }
}

/// One session to deliver a message to, with the options merged over all its matching subscriptions.
struct Delivery {
    let session: Session
    /// The highest QoS over the matching subscriptions (MQTT 5 §3.3.4).
    var qos: QoS
    /// Every matching subscription identifier.
    var subscriptionIdentifiers: [Int]
    var retainAsPublished: Bool
}
