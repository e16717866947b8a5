import MQTTCodec

/// A parsed subscription filter, shared (`$share/group/filter`, MQTT 5 §4.8.2) or not.
struct TopicFilter: Hashable, Sendable {
    /// The filter that is matched against topics, without the `$share/group/` prefix.
    let filter: String
    /// The share group, for shared subscriptions.
    let shareGroup: String?

    /// Parses a filter as the client sent it.
    /// - Returns: `nil` when the filter or the share group is not valid.
    init?(_ raw: String) {
        if raw.hasPrefix("$share/") {
            let rest = raw.dropFirst("$share/".count)
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            let group = String(rest[..<slash])
            let filter = String(rest[rest.index(after: slash)...])
            guard !group.isEmpty, !group.contains("+"), !group.contains("#"), TopicRules.isValidTopicFilter(filter)
            else { return nil }
            self.filter = filter
            self.shareGroup = group
        } else {
            guard TopicRules.isValidTopicFilter(raw) else { return nil }
            self.filter = raw
            self.shareGroup = nil
        }
    }

    /// Whether `topic` matches this filter (§4.7), `$` topics excluded from leading wildcards.
    func matches(_ topic: String) -> Bool {
        TopicFilter.matches(filter: self.filter, topic: topic)
    }

    /// Whether `topic` matches `filter` (§4.7): `+` one level, `#` the rest, `$` topics not by a leading wildcard.
    static func matches(filter: String, topic: String) -> Bool {
        let filterLevels = filter.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let topicLevels = topic.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if topic.utf8.first == UInt8(ascii: "$"), let first = filterLevels.first,
            first.elementsEqual("+".utf8) || first.elementsEqual("#".utf8)
        {
            return false
        }
        var index = 0
        while index < filterLevels.count {
            let level = filterLevels[index]
            if level.elementsEqual("#".utf8) { return true }
            guard index < topicLevels.count else { return false }
            if !level.elementsEqual("+".utf8) && !level.elementsEqual(topicLevels[index]) { return false }
            index += 1
        }
        return index == topicLevels.count
    }
}
