import Synchronization

extension Broker {
    /// Publishes the `$SYS/broker/…` statistics as retained messages, with Mosquitto's topic names.
    ///
    /// Topics starting with `$` are not matched by `#` or `+` at the first level (§4.7.2), so only
    /// clients that subscribe to `$SYS/…` see them.
    public func publishSystemTopics(version: String) {
        let statistics = self.statistics
        let values: [(String, String)] = [
            ("$SYS/broker/version", "TwinGuard \(version)"),
            ("$SYS/broker/uptime", "\(statistics.uptimeSeconds) seconds"),
            ("$SYS/broker/clients/connected", "\(statistics.clientsConnected.load(ordering: .relaxed))"),
            ("$SYS/broker/clients/total", "\(self.sessionCount)"),
            ("$SYS/broker/messages/received", "\(statistics.messagesReceived.load(ordering: .relaxed))"),
            ("$SYS/broker/messages/sent", "\(statistics.messagesSent.load(ordering: .relaxed))"),
            ("$SYS/broker/publish/messages/received", "\(statistics.publishReceived.load(ordering: .relaxed))"),
            ("$SYS/broker/publish/messages/sent", "\(statistics.publishSent.load(ordering: .relaxed))"),
            ("$SYS/broker/publish/messages/dropped", "\(statistics.publishDropped.load(ordering: .relaxed))"),
            ("$SYS/broker/bytes/received", "\(statistics.bytesReceived.load(ordering: .relaxed))"),
            ("$SYS/broker/bytes/sent", "\(statistics.bytesSent.load(ordering: .relaxed))"),
            ("$SYS/broker/subscriptions/count", "\(statistics.subscriptions.load(ordering: .relaxed))"),
            ("$SYS/broker/retained messages/count", "\(statistics.retainedMessages.load(ordering: .relaxed))"),
            // TwinGuard's own counters, without a Mosquitto equivalent.
            ("$SYS/broker/queue/overflows", "\(statistics.queueOverflows.load(ordering: .relaxed))"),
            ("$SYS/broker/errors/protocol", "\(statistics.protocolErrors.load(ordering: .relaxed))"),
            ("$SYS/broker/errors/denied", "\(statistics.authorizationDenials.load(ordering: .relaxed))"),
        ]
        for (topic, payload) in values {
            self.publishInternal(topic: topic, payload: payload, retain: true)
        }
    }
}
