import Foundation
import TwinGuardCore

/// What the telemetry fuzzer runs, kept in the module so that regression tests replay the same code:
/// every parser of untrusted or on-disk bytes. Must never trap, whatever the input.
public enum TelemetryFuzzing {
    public static func parseAll(_ bytes: [UInt8]) {
        LineProtocol.parse(bytes, precision: .nanoseconds, now: 0, onLine: { line in
            _ = try? LineProtocol.parseSeries(line.rawSeries)
        }, onError: { _ in })
        if let statements = try? InfluxQLParser.parse(String(decoding: bytes, as: UTF8.self), now: 0) {
            _ = statements.count
        }
        _ = try? ChunkCodec.decode(bytes)
        _ = try? CatalogFile.decode(bytes)
        _ = try? WALRecord.decode(bytes) { id in FieldType(rawValue: UInt8(truncatingIfNeeded: id % 4 + 1)) }
        _ = RFC3339.parse(String(decoding: bytes, as: UTF8.self))
    }
}
