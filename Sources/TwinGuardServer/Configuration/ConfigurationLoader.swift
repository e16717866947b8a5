import Foundation
import TOMLKit

/// Builds a ``ServerConfiguration`` from defaults, a TOML file, `TWINGUARD_*` environment variables and
/// flags, later sources winning. Unknown keys and bad values are errors, never silently ignored.
public enum ConfigurationLoader {
    /// Loads the configuration.
    /// - Parameters:
    ///   - defaults: the starting point (`serve` and `demo` differ in their bind address).
    ///   - file: a TOML file, if one was given with `--config`.
    ///   - environment: the process environment.
    ///   - overrides: settings from flags, by key name.
    /// - Throws: ``ConfigurationError`` naming the key and the source.
    public static func load(
        defaults: ServerConfiguration, file: String?, environment: [String: String],
        overrides: [(key: String, value: String)]
    ) throws(ConfigurationError) -> ServerConfiguration {
        try self.loadWithWarnings(defaults: defaults, file: file, environment: environment, overrides: overrides).0
    }

    /// Like ``load(defaults:file:environment:overrides:)``, also returning warnings for `TWINGUARD_*`
    /// variables that name no key (likely typos; other tools may share the prefix, so they do not stop the
    /// server).
    public static func loadWithWarnings(
        defaults: ServerConfiguration, file: String?, environment: [String: String],
        overrides: [(key: String, value: String)]
    ) throws(ConfigurationError) -> (ServerConfiguration, [String]) {
        var warnings: [String] = []
        var config = defaults
        if let file {
            try self.apply(file: file, to: &config)
        }
        let byEnvironmentName = Dictionary(uniqueKeysWithValues: ConfigurationKey.all.map { ($0.environmentName, $0) })
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("TWINGUARD_") {
            guard let key = byEnvironmentName[name] else {
                warnings.append("environment variable \(name) names no configuration key; it is ignored")
                continue
            }
            do {
                try key.apply(&config, .string(value))
            } catch {
                throw error.located(in: "environment variable \(name)")
            }
        }
        for (name, value) in overrides {
            guard let key = ConfigurationKey.named(name) else { throw .unknownKey(name, source: "the command line") }
            do {
                try key.apply(&config, .string(value))
            } catch {
                throw error.located(in: "the command line")
            }
        }
        return (config, warnings)
    }

    private static func apply(file: String, to config: inout ServerConfiguration) throws(ConfigurationError) {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw .unreadableFile(file, reason: (error as NSError).localizedDescription)
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .invalidTOML(file, reason: "\(error.description) at \(error.source.begin)")
        } catch {
            throw .invalidTOML(file, reason: "\(error)")
        }
        try self.apply(table: table, prefix: "", file: file, to: &config)
    }

    private static func apply(
        table: TOMLTable, prefix: String, file: String, to config: inout ServerConfiguration
    ) throws(ConfigurationError) {
        for (name, value) in table {
            let fullName = prefix + name
            if let nested = value.table {
                try self.apply(table: nested, prefix: fullName + ".", file: file, to: &config)
                continue
            }
            guard let key = ConfigurationKey.named(fullName) else { throw .unknownKey(fullName, source: file) }
            let raw: ConfigurationValue
            if let bool = value.bool {
                raw = .bool(bool)
            } else if let int = value.int {
                raw = .integer(int)
            } else if let double = value.double {
                raw = .double(double)
            } else if let string = value.string {
                raw = .string(string)
            } else {
                throw .invalidValue(key: fullName, value: "\(value)", expected: key.expected)
            }
            do {
                try key.apply(&config, raw)
            } catch {
                throw error.located(in: file)
            }
        }
    }
}
