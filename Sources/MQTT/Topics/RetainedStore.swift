import NIOCore
import Synchronization

/// The retained messages of one tenant, by topic (§3.3.1.3).
final class RetainedStore: Sendable {
    private let messages = Mutex<[String: BrokerMessage]>([:])

    /// Stores `message` as the retained message of its topic, or clears it when the payload is empty.
    /// - Returns: the change in the number of retained messages (-1, 0 or 1).
    func retain(_ message: BrokerMessage) -> Int {
        self.messages.withLock { messages in
            if message.payload.readableBytes == 0 {
                return messages.removeValue(forKey: message.topic) == nil ? 0 : -1
            }
            return messages.updateValue(message, forKey: message.topic) == nil ? 1 : 0
        }
    }

    /// The retained message of `topic`, if any.
    func message(for topic: String) -> BrokerMessage? {
        self.messages.withLock { $0[topic] }
    }

    /// Every unexpired retained message whose topic matches `filter`.
    func matching(_ filter: TopicFilter, now: Int64) -> [BrokerMessage] {
        self.messages.withLock { messages in
            if !filter.filter.contains("+") && !filter.filter.contains("#") {
                guard let message = messages[filter.filter], !message.isExpired(now: now) else { return [] }
                return [message]
            }
            return messages.values.filter { !$0.isExpired(now: now) && filter.matches($0.topic) }
        }
    }

    /// Drops expired messages; returns their topics.
    func removeExpired(now: Int64) -> [String] {
        self.messages.withLock { messages in
            let expired = messages.values.filter { $0.isExpired(now: now) }.map(\.topic)
            for topic in expired { messages[topic] = nil }
            return expired
        }
    }

    var count: Int { self.messages.withLock { $0.count } }
}
