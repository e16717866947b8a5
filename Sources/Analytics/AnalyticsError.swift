/// Why an analytics operation failed, with a message that says what to do.
public struct AnalyticsError: Error, CustomStringConvertible, Sendable {
    /// A stable identifier of the failure, for programs.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        public static let unreadableInput = Code("unreadable_input")
        public static let malformedInput = Code("malformed_input")
        public static let invalidLabels = Code("invalid_labels")
        public static let invalidModel = Code("invalid_model")
        public static let invalidParameters = Code("invalid_parameters")
        public static let notEnoughData = Code("not_enough_data")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
