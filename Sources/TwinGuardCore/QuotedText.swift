/// Quoted text in the query languages (InfluxQL, twin queries): `'…'` or `"…"`, where a backslash takes
/// the next character literally.
public enum QuotedText {
    /// Reads the quoted text whose opening quote is at `start`.
    /// - Returns: the text and the index just past the closing quote, or `nil` when it is not closed.
    public static func scan(_ characters: [Character], from start: Int) -> (text: String, end: Int)? {
        let quote = characters[start]
        var index = start + 1
        var text = ""
        while index < characters.count {
            if characters[index] == "\\" && index + 1 < characters.count {
                text.append(characters[index + 1])
                index += 2
                continue
            }
            if characters[index] == quote { return (text, index + 1) }
            text.append(characters[index])
            index += 1
        }
        return nil
    }
}
