/// A setting that cannot be used; the message names the key, the source and what is expected.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public var description: String { self.message }

    static func unknownKey(_ key: String, source: String) -> Self {
        let known = ConfigurationKey.all.map(\.name).joined(separator: ", ")
        return Self(message: "unknown configuration key '\(key)' in \(source); known keys: \(known)")
    }

    static func invalidValue(key: String, value: String, expected: String) -> Self {
        Self(message: "invalid value '\(value)' for '\(key)': expected \(expected)")
    }

    static func unreadableFile(_ path: String, reason: String) -> Self {
        Self(message: "cannot read config file '\(path)': \(reason)")
    }

    static func invalidTOML(_ path: String, reason: String) -> Self {
        Self(message: "config file '\(path)' is not valid TOML: \(reason)")
    }

    func located(in source: String) -> Self {
        Self(message: "\(self.message) (from \(source))")
    }
}
