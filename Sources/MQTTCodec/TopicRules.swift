/// Validation of topic names and topic filters (§4.7).
public enum TopicRules {
    /// The longest topic accepted by the codec: the string length limit of the protocol.
    public static let maximumEncodedLength = 65_535

    /// Whether `topic` is a valid topic name: non-empty, no wildcards, no U+0000 (§4.7.3).
    public static func isValidTopicName(_ topic: String) -> Bool {
        guard !topic.isEmpty, topic.utf8.count <= Self.maximumEncodedLength else { return false }
        for byte in topic.utf8 where byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#") || byte == 0 {
            return false
        }
        return true
    }

    /// Whether `filter` is a valid topic filter: `+` fills a whole level, `#` fills the last one (§4.7.1).
    public static func isValidTopicFilter(_ filter: String) -> Bool {
        guard !filter.isEmpty, filter.utf8.count <= Self.maximumEncodedLength else { return false }
        let levels = filter.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains(0) { return false }
            if level.contains(UInt8(ascii: "+")) && level.count != 1 { return false }
            if level.contains(UInt8(ascii: "#")) && (level.count != 1 || index != levels.count - 1) { return false }
        }
        return true
    }
}
