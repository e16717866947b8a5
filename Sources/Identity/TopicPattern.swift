/// MQTT topic-filter matching for policy documents, with `{tenant}` and `{twin}` filled in per device.
struct TopicPattern: Sendable, Equatable {
    let levels: [Substring]

    init(_ filter: String) {
        self.levels = filter.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// Whether a concrete topic name matches this filter (`+` one level, `#` the rest).
    func matches(topic: String) -> Bool {
        self.covers(topic.split(separator: "/", omittingEmptySubsequences: false), wildcardsAllowed: false)
    }

    /// Whether every topic `filter` can match is also matched by this pattern: a subscription is granted
    /// only when it asks for no more than the policy allows.
    func covers(filter: String) -> Bool {
        self.covers(filter.split(separator: "/", omittingEmptySubsequences: false), wildcardsAllowed: true)
    }

    private func covers(_ other: [Substring], wildcardsAllowed: Bool) -> Bool {
        var index = 0
        while index < self.levels.count {
            let level = self.levels[index]
            if level == "#" { return true }
            guard index < other.count else { return false }
            let candidate = other[index]
            if level == "+" {
                if candidate == "#" { return false }
            } else if level != candidate {
                return false
            }
            index += 1
        }
        return index == other.count
    }
}
