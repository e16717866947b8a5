/// Why the metadata store failed; wraps database errors at the module boundary.
public struct StorageError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        private enum Value { case cannotOpen, migrationFailed, readFailed, writeFailed }
        private let value: Value
        public static let cannotOpen = Code(value: .cannotOpen)
        public static let migrationFailed = Code(value: .migrationFailed)
        public static let readFailed = Code(value: .readFailed)
        public static let writeFailed = Code(value: .writeFailed)
    }

    public let code: Code
    /// Shown to users: what failed and what to do.
    public let message: String

    public var description: String { self.message }

    static func cannotOpen(path: String, underlying: any Error) -> Self {
        Self(code: .cannotOpen, message: "cannot open the database '\(path)': \(underlying); check that the data dir is writable")
    }

    static func migrationFailed(_ underlying: any Error) -> Self {
        Self(code: .migrationFailed, message: "cannot migrate the database schema: \(underlying)")
    }

    static func readFailed(_ what: String, _ underlying: any Error) -> Self {
        Self(code: .readFailed, message: "cannot read \(what) from the database: \(underlying)")
    }

    static func writeFailed(_ what: String, _ underlying: any Error) -> Self {
        Self(code: .writeFailed, message: "cannot write \(what) to the database: \(underlying)")
    }
}
