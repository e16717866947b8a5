import Foundation

/// What the fuzzer runs against the twin layer's parsers (query language, model documents, JSON
/// telemetry); must never trap, whatever the input.
public enum TwinsFuzzing {
    public static func parseAll(_ bytes: [UInt8]) {
        _ = try? TwinQueryParser.parse(String(decoding: bytes, as: UTF8.self))
        _ = try? ModelValidator.validate(Data(bytes))
    }
}
