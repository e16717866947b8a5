import Synchronization

/// The subscriptions of one tenant as a trie of topic levels, matched for every published message.
///
/// Matching takes the read lock, so publishers on all cores match at once; subscribe and unsubscribe
/// take the write lock. Shared subscription groups pick their next member with an atomic counter.
final class SubscriptionTree: @unchecked Sendable {
    // Sendable: every access to `root` and the nodes below it happens under `lock`.
    private let lock = ReadWriteLock()
    private let root = Node()

    private final class Node {
        var children: [Substring: Node] = [:]
        var singleLevel: Node?
        var multiLevel: Node?
        var subscribers: [ObjectIdentifier: Entry] = [:]
        var sharedGroups: [String: SharedGroup] = [:]

        var isEmpty: Bool {
            self.children.isEmpty && self.singleLevel == nil && self.multiLevel == nil && self.subscribers.isEmpty
                && self.sharedGroups.isEmpty
        }
    }

    private struct Entry {
        let session: Session
        let options: SubscriptionOptions
    }

    private final class SharedGroup {
        var members: [Entry] = []
        let next = Atomic<Int>(0)
    }

    /// Adds or replaces the subscription of `session` to `filter`.
    /// - Returns: whether a subscription to the same filter existed already.
    @discardableResult
    func subscribe(_ session: Session, to filter: TopicFilter, options: SubscriptionOptions) -> Bool {
        self.lock.withWriteLock {
            let node = self.node(for: filter.filter, create: true)!
            let entry = Entry(session: session, options: options)
            let key = ObjectIdentifier(session)
            if let group = filter.shareGroup {
                let shared = node.sharedGroups[group] ?? SharedGroup()
                node.sharedGroups[group] = shared
                if let index = shared.members.firstIndex(where: { ObjectIdentifier($0.session) == key }) {
                    shared.members[index] = entry
                    return true
                }
                shared.members.append(entry)
                return false
            }
            return node.subscribers.updateValue(entry, forKey: key) != nil
        }
    }

    /// Removes the subscription of `session` to `filter`.
    /// - Returns: whether it existed.
    @discardableResult
    func unsubscribe(_ session: Session, from filter: TopicFilter) -> Bool {
        self.lock.withWriteLock {
            guard let node = self.node(for: filter.filter, create: false) else { return false }
            let key = ObjectIdentifier(session)
            var removed = false
            if let group = filter.shareGroup {
                if let shared = node.sharedGroups[group],
                    let index = shared.members.firstIndex(where: { ObjectIdentifier($0.session) == key })
                {
                    shared.members.remove(at: index)
                    if shared.members.isEmpty { node.sharedGroups[group] = nil }
                    removed = true
                }
            } else {
                removed = node.subscribers.removeValue(forKey: key) != nil
            }
            if removed { self.prune(filter.filter) }
            return removed
        }
    }

    /// Finds every session a message on `topic` goes to, one entry per session (shared groups add one member each).
    /// - Parameter publisher: the publishing session, left out where a subscription asked for No Local.
    func match(topic: String, publisher: ObjectIdentifier?) -> [Delivery] {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        var deliveries: [Delivery] = []
        self.lock.withReadLock {
            self.collect(self.root, levels: levels, index: 0, publisher: publisher, into: &deliveries)
        }
        return Self.mergedPerSession(deliveries)
    }

    private func collect(
        _ node: Node, levels: [Substring], index: Int, publisher: ObjectIdentifier?, into deliveries: inout [Delivery]
    ) {
        if index == levels.count {
            self.addSubscribers(of: node, publisher: publisher, into: &deliveries)
            // "a/#" also matches "a" (§4.7.1.2).
            if let multi = node.multiLevel { self.addSubscribers(of: multi, publisher: publisher, into: &deliveries) }
            return
        }
        let level = levels[index]
        if let child = node.children[level] {
            self.collect(child, levels: levels, index: index + 1, publisher: publisher, into: &deliveries)
        }
        // §4.7.2: topics starting with "$" are not matched by a leading wildcard.
        if index == 0 && level.first == "$" { return }
        if let single = node.singleLevel {
            self.collect(single, levels: levels, index: index + 1, publisher: publisher, into: &deliveries)
        }
        if let multi = node.multiLevel { self.addSubscribers(of: multi, publisher: publisher, into: &deliveries) }
    }

    private func addSubscribers(of node: Node, publisher: ObjectIdentifier?, into deliveries: inout [Delivery]) {
        for (key, entry) in node.subscribers {
            if entry.options.noLocal && key == publisher { continue }
            deliveries.append(Self.delivery(entry))
        }
        for group in node.sharedGroups.values where !group.members.isEmpty {
            let start = group.next.add(1, ordering: .relaxed).oldValue
            // Prefer a connected member; fall back to round-robin over all (their sessions queue).
            var chosen = group.members[start % group.members.count]
            for offset in 0..<group.members.count {
                let candidate = group.members[(start + offset) % group.members.count]
                if candidate.session.isConnected {
                    chosen = candidate
                    break
                }
            }
            deliveries.append(Self.delivery(chosen))
        }
    }

    private static func delivery(_ entry: Entry) -> Delivery {
        Delivery(
            session: entry.session, qos: entry.options.qos,
            subscriptionIdentifiers: entry.options.subscriptionIdentifier.map { [$0] } ?? [],
            retainAsPublished: entry.options.retainAsPublished)
    }

    /// Merges overlapping subscriptions of one session into one delivery at the highest QoS carrying
    /// every subscription identifier (MQTT 5 §3.3.4).
    private static func mergedPerSession(_ deliveries: [Delivery]) -> [Delivery] {
        guard deliveries.count > 1 else { return deliveries }
        var indexBySession: [ObjectIdentifier: Int] = [:]
        var merged: [Delivery] = []
        merged.reserveCapacity(deliveries.count)
        for delivery in deliveries {
            let key = ObjectIdentifier(delivery.session)
            if let index = indexBySession[key] {
                merged[index].qos = max(merged[index].qos, delivery.qos)
                merged[index].subscriptionIdentifiers += delivery.subscriptionIdentifiers
                merged[index].retainAsPublished = merged[index].retainAsPublished || delivery.retainAsPublished
            } else {
                indexBySession[key] = merged.count
                merged.append(delivery)
            }
        }
        return merged
    }

    private func node(for filter: String, create: Bool) -> Node? {
        var node = self.root
        for level in filter.split(separator: "/", omittingEmptySubsequences: false) {
            let next: Node?
            switch level {
            case "+":
                if node.singleLevel == nil && create { node.singleLevel = Node() }
                next = node.singleLevel
            case "#":
                if node.multiLevel == nil && create { node.multiLevel = Node() }
                next = node.multiLevel
            default:
                if node.children[level] == nil && create { node.children[level] = Node() }
                next = node.children[level]
            }
            guard let next else { return nil }
            node = next
        }
        return node
    }

    /// Removes empty nodes along `filter`'s path so that the trie does not grow with churn.
    private func prune(_ filter: String) {
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        var path: [Node] = [self.root]
        for level in levels {
            let current = path[path.count - 1]
            let next: Node? =
                switch level {
                case "+": current.singleLevel
                case "#": current.multiLevel
                default: current.children[level]
                }
            guard let next else { return }
            path.append(next)
        }
        for depth in stride(from: levels.count, to: 0, by: -1) where path[depth].isEmpty {
            let parent = path[depth - 1]
            switch levels[depth - 1] {
            case "+": parent.singleLevel = nil
            case "#": parent.multiLevel = nil
            default: parent.children[levels[depth - 1]] = nil
            }
        }
    }
}
