import Foundation
import Logging
import TwinGuardCore

/// What the telemetry fuzzer runs, kept in the module so that regression tests replay the same code:
/// every parser of untrusted or on-disk bytes, the time and duration parsers, the tag-filter regex matcher,
/// and the InfluxQL executor on a small store (so that a query that parses cannot trap when it runs).
/// Must never trap, whatever the input.
public enum TelemetryFuzzing {
    public static func parseAll(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        LineProtocol.parse(bytes, precision: .nanoseconds, now: 0, onLine: { line in
            _ = try? LineProtocol.parseSeries(line.rawSeries)
        }, onError: { _ in })
        if let statements = try? InfluxQLParser.parse(text, now: 1_700_000_000_000_000_000) {
            Self.execute(statements)
        }
        _ = try? ChunkCodec.decode(bytes)
        _ = try? CatalogFile.decode(bytes)
        _ = try? WALRecord.decode(bytes) { id in FieldType(rawValue: UInt8(truncatingIfNeeded: id % 4 + 1)) }
        _ = try? RFC3339.parseChecked(text)
        _ = TimeBounds.duration(text)
        _ = DownsampleTier.parseList(text)
        if let regex = try? LinearRegex(text) {
            for sample in ["", "pump-7", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", text] { _ = regex.matches(sample) }
        }
    }

    /// Runs statements against the fuzzing store, each with a small budget so that a run stays short.
    static func execute(_ statements: [InfluxQLStatement]) {
        guard let store = Self.store else { return }
        var executor = InfluxQLExecutor(store: store) { ["fuzz"] }
        executor.maximumValues = 20_000
        executor.maximumBuckets = 20_000
        executor.timeLimit = .milliseconds(200)
        executor.now = { 1_700_000_000_000_000_000 }
        for (index, statement) in statements.prefix(8).enumerated() {
            _ = executor.run(statement, tenant: Self.tenant, id: index)
        }
    }

    static let tenant = TenantID(unchecked: "fuzz")

    /// A store in a temporary directory with a few series of every type, made once per process.
    static let store: TimeSeriesStore? = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tg-fuzz-\(getpid())").path
        guard let store = try? TimeSeriesStore(options: .init(directory: directory), logger: Logger(label: "fuzz")) else { return nil }
        var rows: [TimeSeriesStore.Row] = []
        for (index, host) in ["h1", "h2", "pump-7"].enumerated() {
            let key = SeriesKey(tenant: Self.tenant, measurement: "cpu", tags: [Tag("host", host), Tag("twin", host)])
            guard let id = try? store.series(for: key) else { continue }
            for step in 0..<50 {
                rows.append(TimeSeriesStore.Row(
                    series: id, timestamp: 1_700_000_000_000_000_000 - Int64(step) * 60_000_000_000,
                    fields: [("usage", .double(Double(step + index))), ("count", .integer(Int64(step))), ("on", .boolean(step % 2 == 0)),
                             ("state", .string(step % 3 == 0 ? "run" : "idle"))]))
            }
        }
        _ = store.append(rows)
        return store
    }()
}
