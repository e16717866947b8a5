/// Comparisons of secrets that take the same time wherever the inputs differ.
public enum ConstantTime {
    /// Whether two byte strings are equal, without leaking where they differ through timing.
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    /// Whether two strings are equal byte for byte, in constant time.
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        self.equal(Array(lhs.utf8), Array(rhs.utf8))
    }
}
